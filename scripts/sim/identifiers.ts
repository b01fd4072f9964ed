/** Real-world identifier formats the simulator writes, with their check digits. */

/** IMO ship identification number: 7 digits, the last a check digit (weights 7..2 over the first six). */
export function imoNumber(firstSix: string): string {
  if (!/^\d{6}$/.test(firstSix)) throw new RangeError(`IMO base must be 6 digits, got "${firstSix}"`);
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(firstSix[i]) * (7 - i);
  return `${firstSix}${sum % 10}`;
}

export function isValidImo(imo: string): boolean {
  return /^\d{7}$/.test(imo) && imoNumber(imo.slice(0, 6)) === imo;
}

/** ISO 6346 letter values: A = 10, skipping multiples of 11. */
const LETTER_VALUE: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  let v = 10;
  for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (v % 11 === 0) v++;
    map.set(ch, v++);
  }
  return map;
})();

/** ISO 6346 check digit of the first ten characters (owner code, category, serial). */
export function containerCheckDigit(first10: string): number {
  if (!/^[A-Z]{3}[UJZ]\d{6}$/.test(first10)) throw new RangeError(`not an ISO 6346 owner+serial: "${first10}"`);
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = first10[i]!;
    const value = i < 4 ? LETTER_VALUE.get(ch)! : Number(ch);
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

/** A full container number, e.g. `MSCU123456` + check digit. */
export function containerNumber(ownerCode: string, serial: string): string {
  const first10 = `${ownerCode}${serial}`;
  return `${first10}${containerCheckDigit(first10)}`;
}

export function isValidContainerNumber(id: string): boolean {
  return /^[A-Z]{3}[UJZ]\d{7}$/.test(id) && containerCheckDigit(id.slice(0, 10)) === Number(id[10]);
}

/**
 * Text from Kafka made safe to print on an operator's terminal. A dead letter's key, value and
 * headers are whatever a producer sent: an ESC or CSI byte would let it move the cursor, rewrite
 * earlier lines, retitle the window or plant a hyperlink (ANSI / OSC sequences), and bidi
 * controls reorder what is shown (Trojan Source). Every such character is printed as an escape
 * instead: C0 controls and DEL as `\xNN`, C1 controls, bidi and invisible format characters,
 * line/paragraph separators and lone surrogates as `\uXXXX`. Backslashes are left alone, so JSON
 * stays readable; a literal `\x1b` in the data and an escaped ESC look alike, and neither does anything.
 */
import { isUtf8 } from 'node:buffer';

const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** At most `maxChars` code points of `text`, with '…' when cut (never inside a surrogate pair). */
function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = 0;
  for (let n = 0; n < maxChars && end < text.length; n++) end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  return end >= text.length ? text : `${text.slice(0, end)}…`;
}

/** `text` with every character that could act on a terminal escaped, cut to `maxChars` code points. */
export function printable(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  return cut(text, maxChars).replace(UNSAFE, escapeChar);
}

/** How many bytes a UTF-8 sequence starting with `lead` has (1 for a byte that cannot start one). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  return 1;
}

/**
 * Bytes as printable text, cut to `maxChars` characters: valid UTF-8 as text (escaped as
 * `printable` does), each byte that is not part of a valid sequence as `\xNN`, so a value
 * dead-lettered for not being UTF-8 shows its actual bytes. Only the head needed is decoded.
 */
export function printableBytes(bytes: Uint8Array, maxChars = Number.POSITIVE_INFINITY): string {
  // maxChars + 1 characters of at most 4 bytes each: enough to know whether to cut.
  const head =
    Number.isFinite(maxChars) && bytes.length > maxChars * 4 + 4 ? bytes.subarray(0, maxChars * 4 + 4) : bytes;
  if (isUtf8(bytes)) return printable(Buffer.from(head).toString('utf8'), maxChars);
  let out = '';
  let chars = 0;
  for (let i = 0; i < head.length; chars++) {
    if (chars >= maxChars) return `${out}…`;
    const n = sequenceLength(head[i]!);
    const seq = head.subarray(i, i + n);
    if (n > 1 && seq.length === n && isUtf8(seq)) {
      out += printable(Buffer.from(seq).toString('utf8'));
      i += n;
    } else {
      const b = head[i]!;
      out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return head.length < bytes.length ? `${out}…` : out;
}

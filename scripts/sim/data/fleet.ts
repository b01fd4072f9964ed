/** The lines calling at the port, their vessels, and the boxes they carry. */

export type Line = { name: string; owners: readonly string[]; vessels: readonly string[]; mainline: boolean };

export const LINES: readonly Line[] = [
  {
    name: 'MSC',
    owners: ['MSCU', 'MEDU', 'MSDU'],
    vessels: ['MSC Tessa', 'MSC Irina', 'MSC Loreto', 'MSC Mia', 'MSC Aurora', 'MSC Amelia', 'MSC Sveva', 'MSC Gemma'],
    mainline: true,
  },
  {
    name: 'Maersk',
    owners: ['MAEU', 'MRKU', 'MSKU'],
    vessels: ['Mette Maersk', 'Madrid Maersk', 'Munich Maersk', 'Gerda Maersk', 'Maersk Elba', 'Maersk Essen'],
    mainline: true,
  },
  {
    name: 'CMA CGM',
    owners: ['CMAU', 'CGMU', 'ECMU'],
    vessels: ['CMA CGM Jacques Saade', 'CMA CGM Palais Royal', 'CMA CGM Trocadero', 'CMA CGM Tage'],
    mainline: true,
  },
  {
    name: 'Hapag-Lloyd',
    owners: ['HLXU', 'HLBU'],
    vessels: ['Berlin Express', 'Hamburg Express', 'Al Nefud', 'Afif'],
    mainline: true,
  },
  { name: 'ONE', owners: ['ONEU', 'NYKU'], vessels: ['ONE Innovation', 'ONE Triumph', 'ONE Apus'], mainline: true },
  { name: 'Evergreen', owners: ['EGHU', 'EISU'], vessels: ['Ever Ace', 'Ever Alot', 'Ever Atop'], mainline: true },
  {
    name: 'COSCO',
    owners: ['CSNU', 'CBHU'],
    vessels: ['COSCO Shipping Universe', 'COSCO Shipping Taurus'],
    mainline: true,
  },
  { name: 'HMM', owners: ['HMMU'], vessels: ['HMM Algeciras', 'HMM Rotterdam'], mainline: true },
  { name: 'Samskip', owners: ['SKIU'], vessels: ['Samskip Endeavour', 'Samskip Kvitnos'], mainline: false },
  {
    name: 'X-Press Feeders',
    owners: ['XINU'],
    vessels: ['X-Press Elbe', 'X-Press Maas', 'X-Press Humber'],
    mainline: false,
  },
];

/** Leasing companies' prefixes: a good share of every line's boxes. */
export const LESSORS = ['TGHU', 'TCLU', 'TRHU', 'SEGU', 'FCIU', 'CAIU', 'BMOU', 'GESU', 'TEMU'] as const;
export const FLAGS = ['PA', 'LR', 'MT', 'SG', 'HK', 'DK', 'DE', 'PT', 'CY'] as const;

/** Length overall, TEU capacity: what mainline vessels and feeders are picked from. */
export const VESSEL_SIZES = {
  mainline: {
    loaM: [366, 368, 399, 400, 334, 300],
    teu: [13_092, 15_000, 19_224, 20_000, 23_756, 24_000],
    draftM: [13.5, 16.5],
  },
  feeder: { loaM: [169, 180, 196, 211], teu: [1036, 1400, 1700, 2500], draftM: [8.5, 11] },
} as const;

/** ISO 6346 size-type codes by relative frequency: [weight, code, name]. */
export const ISO_TYPES = [
  [46, '45G1', "40' high cube"],
  [28, '22G1', "20' dry"],
  [10, '42G1', "40' dry"],
  [11, '45R1', "40' reefer high cube"],
  [2, '22R1', "20' reefer"],
  [2, '22T6', "20' tank"],
  [1, '45U1', "40' open top"],
] as const;

export const REEFER_CARGO = [
  { commodity: 'Bananas', setpointC: 13.3 },
  { commodity: 'Avocados', setpointC: 5.5 },
  { commodity: 'Table grapes', setpointC: -0.5 },
  { commodity: 'Citrus', setpointC: 4 },
  { commodity: 'Pharmaceuticals', setpointC: 5 },
  { commodity: 'Frozen fish', setpointC: -20 },
  { commodity: 'Frozen meat', setpointC: -18 },
  { commodity: 'Ice cream', setpointC: -25 },
] as const;

export const DRY_CARGO = [
  'Furniture',
  'Auto parts',
  'Electronics',
  'Textiles',
  'Machinery',
  'Toys',
  'Chemicals (non-DG)',
  'Paper',
  'Household goods',
  'Tyres',
] as const;

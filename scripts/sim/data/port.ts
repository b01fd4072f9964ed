/** The Port of Rotterdam's Maasvlakte as the simulator knows it: terminals, gates, anchorages. */

export const PORT = { id: 'NLRTM', name: 'Port of Rotterdam', lat: 51.9526, lon: 4.0527 } as const;

export type Terminal = {
  code: string;
  name: string;
  lat: number;
  lon: number;
  berths: number;
  lengthM: number;
  maxDraftM: number;
};

export const TERMINALS: readonly Terminal[] = [
  { code: 'ECTD', name: 'ECT Delta', lat: 51.9585, lon: 4.0262, berths: 4, lengthM: 400, maxDraftM: 16.6 },
  { code: 'EMX', name: 'Euromax', lat: 51.9838, lon: 4.0431, berths: 3, lengthM: 420, maxDraftM: 16.6 },
  {
    code: 'APM2',
    name: 'APM Terminals Maasvlakte II',
    lat: 51.9572,
    lon: 3.9958,
    berths: 3,
    lengthM: 400,
    maxDraftM: 19.6,
  },
  { code: 'RWG', name: 'Rotterdam World Gateway', lat: 51.9446, lon: 4.0093, berths: 3, lengthM: 380, maxDraftM: 19.6 },
];

export const GATES = [
  { name: 'ECT Delta truck gate', lat: 51.9521, lon: 4.0611 },
  { name: 'Euromax truck gate', lat: 51.9768, lon: 4.0594 },
  { name: 'APMT MVII truck gate', lat: 51.9618, lon: 4.0141 },
  { name: 'RWG truck gate', lat: 51.9399, lon: 4.0235 },
] as const;

export const ANCHORAGES = [
  { name: 'Maas Anchorage 3A', lat: 52.045, lon: 3.82 },
  { name: 'Maas Anchorage 4', lat: 52.07, lon: 3.74 },
  { name: 'Eurogeul approach', lat: 52.01, lon: 3.9 },
] as const;

export type Anchorage = (typeof ANCHORAGES)[number];

/** Where departing vessels sail next. */
export const NEXT_PORTS = [
  'Hamburg',
  'Antwerp',
  'Felixstowe',
  'Le Havre',
  'Bremerhaven',
  'Gdansk',
  'Algeciras',
] as const;

/** The rest of a terminal's day: hauliers, holds, gate and crane trouble, the systems that report. */

export const HAULIERS = [
  'Maasvlakte Trucking BV',
  'Delta Haulage',
  'Botlek Container Transport',
  'Rijnmond Logistics',
  'Europoort Express',
  'Waalhaven Transport',
] as const;
/** Dutch licence plates use these letters only. */
export const PLATE_LETTERS = 'BDFGHJKLNPRSTVXZ';
/** Customs hold types by relative frequency: [weight, type, severity]. */
export const HOLD_TYPES = [
  [5, 'Documentary check', 'Medium'],
  [3, 'Scan (X-ray) inspection', 'High'],
  [1, 'Physical inspection', 'High'],
  [1, 'NVWA phytosanitary check', 'Medium'],
] as const;
export const HOLD_RELEASES = ['documentary check', 'scan', 'inspection'] as const;
export const GATE_EXCEPTIONS = [
  'Seal number does not match the booking',
  'Damage reported at OCR portal (dent on side panel)',
  'VGM missing for export booking',
  'Booking not found in TOS',
  'Overweight: gross mass exceeds booking by more than 5%',
] as const;
export const CRANE_FAULTS = [
  ['E-214', 'Spreader twistlock sensor fault'],
  ['E-107', 'Hoist drive overtemperature'],
  ['E-330', 'Gantry anti-collision system tripped'],
  ['E-051', 'Boom hoist brake fault'],
] as const;
/** Why a crane move took longer than its cycle. */
export const MOVE_DELAYS = [
  'twistlock not released',
  'lashing bar left on',
  'spreader misalignment',
  'wind gust hold',
] as const;
export const REEFER_ALARM_CODES = ['AL-20', 'AL-22', 'AL-31'] as const;
export const SYSTEMS = [
  { name: 'TOS (Navis N4)', source: 'tos' },
  { name: 'Portbase PCS gateway', source: 'portbase' },
  { name: 'EDI BAPLIE/COARRI feed', source: 'edi' },
  { name: 'Gate OCR portal', source: 'gate-ocr' },
  { name: 'Reefer monitoring (RCM)', source: 'reefer-monitor' },
  { name: 'AIS receiver', source: 'ais' },
] as const;

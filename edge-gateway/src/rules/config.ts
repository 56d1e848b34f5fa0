import { Type, type Static } from '@sinclair/typebox';
import type { Polygon } from './geometry.js';
import { daysSchema, HHMM_PATTERN } from '@streetwatch/platform';
import { validateWindows, type TimeWindow } from './schedule.js';

export const VIOLATION_TYPES = ['illegal_parking', 'street_vendor', 'shopfront_spillover', 'dumping'] as const;
export type ViolationType = (typeof VIOLATION_TYPES)[number];

const Hhmm = Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM local time' });
export const TimeWindowSchema = Type.Object(
  {
    days: daysSchema(),
    from: Hhmm,
    to: Type.String({ ...Hhmm, description: 'HH:MM; not after `from` = crosses midnight into the next day' }),
  },
  { additionalProperties: false },
);

const Classes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { uniqueItems: true });

export const ZoneSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' }),
    type: Type.Union(VIOLATION_TYPES.map((v) => Type.Literal(v))),
    polygon: Type.Array(Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]), {
      minItems: 3,
      description: 'normalized [x, y] points (0-1, origin top-left), convex or concave',
    }),
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone for schedule windows (default Asia/Shanghai)' })),
    schedule: Type.Optional(Type.Array(TimeWindowSchema, { description: 'when the rule applies; absent = per-type default, [] = always' })),
    muted: Type.Optional(Type.Array(TimeWindowSchema, { description: 'windows in which the rule is off (dumping: collection times)' })),
    dwellSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'the rule must hold this long before start' })),
    gapSeconds: Type.Optional(Type.Number({ minimum: 0, description: 'absences up to this long are bridged (one violation per stay)' })),
    objectClasses: Type.Optional(Classes),
    personClasses: Type.Optional(Classes),
    explainingClasses: Type.Optional(Classes),
    useStaticBlobs: Type.Optional(Type.Boolean()),
    minBlobArea: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'smallest static blob considered, share of the frame' })),
    vendorReach: Type.Optional(Type.Number({ minimum: 0, description: 'street_vendor: largest gap between a staying person and the goods, in person heights (default 1)' })),
    vendorPairSeconds: Type.Optional(
      Type.Number({ minimum: 0, description: 'street_vendor: the person must begin to stay within this many seconds of the goods appearing (default 120)' }),
    ),
  },
  { additionalProperties: false },
);
export type ZoneConfig = Static<typeof ZoneSchema>;

export const RulesConfigSchema = Type.Object(
  {
    zones: Type.Array(ZoneSchema, { default: [] }),
    updateIntervalSeconds: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'at most one update event per violation per interval' }),
  },
  { additionalProperties: false },
);
export type RulesConfig = Static<typeof RulesConfigSchema>;

/** A zone with every per-type default filled in. */
export interface Zone {
  readonly id: string;
  readonly type: ViolationType;
  readonly polygon: Polygon;
  readonly timezone: string;
  /** Empty = always. */
  readonly schedule: readonly TimeWindow[];
  readonly muted: readonly TimeWindow[];
  readonly dwellSeconds: number;
  readonly gapSeconds: number;
  /** parking: vehicles; vendor: vendor objects; spillover: furniture etc.; dumping: items left behind. */
  readonly objectClasses: readonly string[];
  /** vendor: who must be present with the objects. */
  readonly personClasses: readonly string[];
  /** A static blob mostly covered by a track of these classes is that object, not litter. */
  readonly explainingClasses: readonly string[];
  readonly useStaticBlobs: boolean;
  readonly minBlobArea: number;
  /** street_vendor: largest gap between a staying person and the goods, in person heights. */
  readonly vendorReach: number;
  /** street_vendor: person and goods arrive within this many seconds of each other. */
  readonly vendorPairSeconds: number;
}

const VEHICLES = ['car', 'truck', 'bus', 'motorcycle'];
const PEOPLE_AND_VEHICLES = ['person', 'bicycle', ...VEHICLES];

/** Defaults per violation type (DESIGN.md's table). */
export const ZONE_DEFAULTS: Readonly<Record<ViolationType, Omit<Zone, 'id' | 'type' | 'polygon' | 'timezone'>>> = {
  illegal_parking: {
    schedule: [],
    muted: [],
    dwellSeconds: 60,
    gapSeconds: 15,
    objectClasses: VEHICLES,
    personClasses: [],
    explainingClasses: [],
    useStaticBlobs: false,
    minBlobArea: 0,
    vendorReach: 1,
    vendorPairSeconds: 120,
  },
  street_vendor: {
    schedule: [],
    muted: [],
    dwellSeconds: 240,
    gapSeconds: 30,
    objectClasses: ['umbrella', 'dining_table', 'chair', 'bench', 'bicycle', 'motorcycle'],
    personClasses: ['person'],
    explainingClasses: PEOPLE_AND_VEHICLES,
    useStaticBlobs: true,
    minBlobArea: 0.002,
    vendorReach: 1,
    vendorPairSeconds: 120,
  },
  shopfront_spillover: {
    schedule: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '08:00', to: '22:00' }],
    muted: [],
    dwellSeconds: 600,
    gapSeconds: 60,
    objectClasses: ['chair', 'dining_table', 'bench', 'potted_plant', 'umbrella', 'couch', 'refrigerator'],
    personClasses: [],
    explainingClasses: PEOPLE_AND_VEHICLES,
    useStaticBlobs: true,
    minBlobArea: 0.002,
    vendorReach: 1,
    vendorPairSeconds: 120,
  },
  dumping: {
    schedule: [],
    muted: [],
    dwellSeconds: 900,
    gapSeconds: 60,
    objectClasses: ['suitcase', 'backpack', 'handbag', 'couch', 'chair', 'refrigerator', 'tv'],
    personClasses: [],
    explainingClasses: PEOPLE_AND_VEHICLES,
    useStaticBlobs: true,
    minBlobArea: 0.002,
    vendorReach: 1,
    vendorPairSeconds: 120,
  },
};

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

/** Apply per-type defaults and check time zone / windows (RangeError on a bad one). */
export function resolveZone(z: ZoneConfig): Zone {
  const d = ZONE_DEFAULTS[z.type];
  const zone: Zone = {
    id: z.id,
    type: z.type,
    polygon: z.polygon.map(([x, y]) => [x, y] as const),
    timezone: z.timezone ?? DEFAULT_TIMEZONE,
    schedule: z.schedule ?? d.schedule,
    muted: z.muted ?? d.muted,
    dwellSeconds: z.dwellSeconds ?? d.dwellSeconds,
    gapSeconds: z.gapSeconds ?? d.gapSeconds,
    objectClasses: z.objectClasses ?? d.objectClasses,
    personClasses: z.personClasses ?? d.personClasses,
    explainingClasses: z.explainingClasses ?? d.explainingClasses,
    useStaticBlobs: z.useStaticBlobs ?? d.useStaticBlobs,
    minBlobArea: z.minBlobArea ?? d.minBlobArea,
    vendorReach: z.vendorReach ?? d.vendorReach,
    vendorPairSeconds: z.vendorPairSeconds ?? d.vendorPairSeconds,
  };
  validateWindows([...zone.schedule, ...zone.muted], zone.timezone);
  return zone;
}

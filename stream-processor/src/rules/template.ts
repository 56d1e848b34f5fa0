/** Alert titles: `{name}` placeholders filled from the alert's facts; unknown names are a config error. */
export const TEMPLATE_FIELDS = [
  'ruleId',
  'kind',
  'type',
  'count',
  'threshold',
  'window',
  'duration',
  'cameraId',
  'cameraIds',
  'zoneId',
  'gridId',
  'communityId',
  'shopId',
  'score',
  'colour',
  'severity',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type TemplateValues = Partial<Record<TemplateField, string | number | undefined>>;

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** Placeholders a template uses that are not known fields (empty when the template is fine). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((n) => !known.has(n));
}

export function renderTitle(template: string, values: TemplateValues): string {
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name as TemplateField];
    return v === undefined || v === '' ? '-' : String(v);
  });
  return out.length > 256 ? out.slice(0, 255) + '…' : out;
}

export const DEFAULT_TITLES = {
  count: '{count} {type} starts in {zoneId} ({cameraIds}) within {window}',
  dwell: '{type} lasting {duration} in {zoneId} ({cameraId})',
  score: 'Shop {shopId} turned red (score {score})',
} as const;

/** What a notification says: title, markdown (robots, console), short text and SMS parameters. */
import type { Alert } from '@streetwatch/schemas';
import type { EscalationTarget } from '../seams.js';
import type { Notification } from './types.js';

const TYPE_NAMES: Record<string, string> = {
  illegal_parking: '机动车违停',
  street_vendor: '游商经营',
  shopfront_spillover: '出店经营',
  dumping: '废弃垃圾乱堆',
  shop_red: '商户红色预警',
  camera_tampered: '摄像头画面异常',
};

export function place(a: Alert): string {
  const s = a.site;
  return [s.communityId, s.gridId, s.zoneId && `${s.zoneId}`, s.shopId && `shop ${s.shopId}`].filter(Boolean).join(' / ') || s.cameraIds.join(',');
}

/** Local time of the alert in China Standard Time, `2026-11-26 14:08`. */
export function localTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

export function renderNotification(req: {
  departmentId: string;
  departmentName: string;
  target: EscalationTarget;
  items: Notification['items'];
  phones: readonly string[];
}): Notification {
  const first = req.items[0]?.alert;
  if (!first) throw new Error('a notification needs at least one alert');
  const more = req.items.length > 1 ? ` (+${req.items.length - 1})` : '';
  const prefix = req.target === 'department' ? '' : `[${req.target}] `;
  const title = `${prefix}${TYPE_NAMES[first.type] ?? first.type}: ${first.title}${more}`.slice(0, 200);
  const lines = [`### ${title}`, ''];
  for (const { alert, workOrderId } of req.items.slice(0, 20)) {
    lines.push(`- **${TYPE_NAMES[alert.type] ?? alert.type}** ${alert.severity} · ${place(alert)} · ${localTime(alert.eventTime)}${workOrderId ? ` · 工单 ${workOrderId}` : ''}`);
  }
  return {
    departmentId: req.departmentId,
    departmentName: req.departmentName,
    target: req.target,
    items: req.items,
    phones: req.phones,
    title,
    markdown: lines.join('\n'),
    text: `${title} ${place(first)} ${localTime(first.eventTime)}`,
  };
}

/**
 * The message as one delivery sends it: the stored notification (the same for every channel of a
 * flush) plus a `ref:` line with this delivery's idempotency key, so a robot message can be traced.
 */
export function withRef(msg: Notification, key: string): Notification {
  return { ...msg, markdown: `${msg.markdown}\n\nref: ${key}` };
}

/**
 * SMS template parameters (templates have `${type}`, `${place}`, `${time}`; with a channel's
 * `evidenceLinkParam` also that variable, e.g. `${link}`: the evidence short link).
 */
export function smsParams(msg: Notification, link?: { param: string; url: string }): Record<string, string> {
  const a = msg.items[0]?.alert;
  if (!a) return { type: '', place: '', time: '' };
  return {
    type: (TYPE_NAMES[a.type] ?? a.type).slice(0, 35),
    place: place(a).slice(0, 35),
    time: localTime(a.eventTime),
    ...(link !== undefined && { [link.param]: link.url }),
  };
}

/** The markdown with the evidence picture (robots): the link is issued when the message is sent. */
export function withPicture(markdown: string, url: string | undefined): string {
  return url === undefined ? markdown : `${markdown}\n\n![证据 evidence](${url})`;
}

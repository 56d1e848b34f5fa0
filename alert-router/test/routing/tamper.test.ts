// A camera covered, blurred or moved is an alert for whoever keeps that camera: the production
// routing tree (k8s/base/config/router.yaml) sends the processor's camera_tampered alerts (one per
// tamper episode, site.cameraIds = [the camera]) to 平安办 (safety), and those of the cameras the
// 城管 squad keeps to it; other alerts are routed as before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { parseConfig } from '@streetwatch/platform';
import { exampleAlert, type Alert } from '@streetwatch/schemas';
import { RouterConfig } from '../../src/config/schema.js';
import { RoutingTree } from '../../src/routing/tree.js';

const NOON_CST = Date.parse('2026-11-26T04:00:00Z');
const raw: unknown = parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'k8s', 'base', 'config', 'router.yaml'), 'utf8'));
const { routing } = parseConfig(RouterConfig, raw, 'router.yaml') as RouterConfig;
const tree = new RoutingTree(routing.route);

/** What the stream processor sends for a tampered camera (stream-processor/src/rules/camera-health.ts). */
const tampered = (cameraId: string, reason = 'SW_EDGE_CAMERA_COVERED'): Alert =>
  exampleAlert({
    alertId: `alert-tamper-${cameraId}`,
    ruleId: 'camera-tamper',
    ruleKind: 'health',
    key: `camera:${cameraId}`,
    type: 'camera_tampered',
    severity: 'warning',
    title: `摄像头 ${cameraId} 画面被遮挡 (covered)`,
    violationIds: [],
    evidence: [],
    site: { cameraIds: [cameraId] },
    labels: { reason, gatewayId: 'gw-xiaohe-01' },
  });

t.test('a tampered street camera goes to 平安办, one of the 城管 squad’s cameras to the squad', async (t) => {
  t.match(tree.match(tampered('cam-03'), NOON_CST), [{ route: 'root/camera-tampered', departments: ['safety'] }]);
  t.match(tree.match(tampered('cam-07', 'SW_EDGE_CAMERA_MOVED'), NOON_CST), [{ route: 'root/camera-tampered/camera-tampered-chengguan-cameras', departments: ['chengguan'] }]);
  t.equal(tree.match(tampered('cam-08'), NOON_CST).length, 1, 'one route: a tampered camera is one work order');
});

t.test('other alerts are routed as before the tamper route', async (t) => {
  t.match(tree.match(exampleAlert({ labels: { department: 'chengguan' } }), NOON_CST), [{ route: 'root/by-department-label', departments: ['chengguan'] }]);
  t.match(tree.match(exampleAlert({ type: 'dumping', labels: {} }), NOON_CST), [{ route: 'root/everything-else', departments: ['safety'] }]);
});

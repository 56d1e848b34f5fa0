export { parseAlert, parseCameraTime, regionBox, AlertParseError, type IsapiAlert, type AlertRegion } from './alert.js';
export { AlertStreamClient, IsapiError, type StreamState } from './client.js';
export { IsapiConfigSchema, resolveIsapiConfig, type IsapiConfig, type IsapiEventMapping, type ResolvedIsapiConfig } from './config.js';
export { CameraEventLifecycle } from './lifecycle.js';
export { boundaryOf, MultipartStreamParser, isPart, type Part, type PartProblem } from './multipart.js';
export { IsapiSubscriber, isapiMetrics, type IsapiSubscriberStats } from './subscriber.js';
export { cameraEventContext, CAMERA_EVENT_MODEL } from './context.js';

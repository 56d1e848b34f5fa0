/** The RTSP test camera lives in testkit/ (shared with bench/edge); tests import it from here. */
export * from '../../testkit/rtsp-camera.js';

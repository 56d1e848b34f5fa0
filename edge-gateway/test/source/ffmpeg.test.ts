import t from 'tap';
import { Backoff } from '@streetwatch/platform';
import { classifyExit, escapeOption, ffmpegArgs, quoteFilterArgs, StderrTail } from '../../src/source/ffmpeg.js';

const analytic = { fps: 2, width: 640, height: 480 };

t.test('RTSP input is read over TCP with fast start and scaled to the analytic size and rate, its URL in the fd-3 script, not the command line', async (t) => {
  const cmd = ffmpegArgs({ kind: 'rtsp', url: 'rtsp://u:p@cam/Streaming/Channels/102', ioTimeoutMs: 5000 }, analytic);
  const s = cmd.args.join(' ');
  t.equal(s, '-hide_banner -nostdin -loglevel error -filter_complex_script pipe:3 -map [frames] -pix_fmt rgb24 -f rawvideo pipe:1');
  t.equal(
    cmd.script,
    "movie='filename=rtsp\\://u\\:p@cam/Streaming/Channels/102:format_opts=rtsp_transport\\=tcp\\:analyzeduration\\=0\\:probesize\\=32\\:fflags\\=nobuffer\\:timeout\\=5000000',fps=2,scale=640:480:flags=bilinear[frames]",
  );
});

t.test("a URL's quote, colon, backslash and equals are escaped for both levels of the filter script (the real camera test below runs such a password)", async (t) => {
  t.equal(escapeOption("a:b=c'd\\e"), "a\\:b\\=c\\'d\\\\e");
  t.equal(quoteFilterArgs("x'y"), "'x'\\''y'");
});

t.test('file input can loop and pace itself to real time', async (t) => {
  t.match(ffmpegArgs({ kind: 'file', path: '/v.mp4', loop: true, realtime: true }, { ...analytic, fps: 0.5 }).args.join(' '), /-re -stream_loop -1 -i \/v\.mp4 .*fps=1\/2,/);
  const plain = ffmpegArgs({ kind: 'file', path: '/v.mp4', loop: false, realtime: false }, analytic);
  t.notMatch(plain.args.join(' '), /-re\b|-stream_loop|-rtsp_transport/);
  t.equal(plain.script, undefined);
});

t.test("ffmpeg's exit is classified from its stderr, and exit 0 on a live stream is a disconnect", async (t) => {
  t.equal(classifyExit(1, 'rtsp://***:***@h/x: Server returned 401 Unauthorized (authorization failed)'), 'SW_EDGE_CAMERA_AUTH');
  t.equal(classifyExit(1, 'method DESCRIBE failed: 404 Not Found'), 'SW_EDGE_CAMERA_NOT_FOUND');
  t.equal(classifyExit(1, 'rtsp://h/x: Connection refused'), 'SW_EDGE_CAMERA_UNREACHABLE');
  t.equal(classifyExit(0, ''), 'SW_EDGE_STREAM_ENDED');
  t.equal(classifyExit(1, 'Invalid data found when processing input'), 'SW_EDGE_DECODER_FAILED');
  t.equal(classifyExit(null, '', Object.assign(new Error('spawn ffmpeg ENOENT'), { code: 'ENOENT' })), 'SW_EDGE_DECODER_MISSING');
});

t.test('the stderr tail keeps the end of the output with credentials redacted', async (t) => {
  const tail = new StderrTail(64);
  for (let i = 0; i < 50; i++) tail.push(`line ${i}\n`);
  tail.push('rtsp://admin:hunter2@10.0.0.5/Streaming/Channels/102: 401 Unauthorized\n');
  const s = tail.toString();
  t.ok(s.length <= 64);
  t.notMatch(s, /hunter2/);
  t.match(s, /401 Unauthorized$/);
  // ffmpeg echoes a failed filter's arguments in their escaped form
  const echoed = new StderrTail();
  echoed.push("[AVFilterGraph @ 0x55] Error initializing filter 'movie' with args 'filename=rtsp\\://admin\\:hun\\'ter2@10.0.0.5\\:554/x'\n");
  t.notMatch(echoed.toString(), /hun|ter2/);
  t.match(echoed.toString(), /rtsp\\:\/\/\*\*\*:\*\*\*@10\.0\.0\.5/);
});

t.test('backoff doubles from the initial delay up to the cap, within the jitter, and resets', async (t) => {
  const mid = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.5);
  t.same([1, 2, 3, 4, 5, 6].map(() => mid.next()), [100, 200, 400, 800, 1000, 1000]);
  mid.reset();
  t.equal(mid.next(), 100);
  const low = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0);
  const high = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.999999);
  t.same([low.next(), low.next(), low.next()], [80, 160, 320]);
  t.same([high.next(), high.next(), high.next()], [120, 240, 480]);
});

#!/usr/bin/python3
"""RTSP test camera: serves a looped real video at Hikvision paths with digest auth.

Run with Debian's /usr/bin/python3 (needs python3-gi + gir1.2-gst-rtsp-server-1.0).

  /usr/bin/python3 rtsp-server.py --port 8554 --video vtest.mp4 --user admin --password secret

Paths: /Streaming/Channels/101 (main: source size) and /Streaming/Channels/102 (sub: half size).
Auth: RTSP digest, realm "IP Camera(C0001)" like a Hikvision camera.
Prints "READY rtsp://127.0.0.1:<port>" on stdout once the server is attached (--port 0: a port the
kernel picks, named in that line: no race with another process for a port checked free earlier).

The video is first turned into an H.264 elementary stream (cached next to --cache-dir), which
GStreamer loops with multifilesrc and re-encodes: looping the elementary stream without
re-encoding loses timestamps (see shared/NOTES.md).

--passthrough: serve the sub-stream without re-encoding (a real camera's encoder is not the box's
CPU): /102 plays a pre-encoded Matroska copy (H.264, key frame every second, the video looped to about
--passthrough-minutes, cached) at its real rate. At its end the stream ends (EOS), as a camera
restarting does; clients reconnect.
"""
import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

REALM = "IP Camera(C0001)"


def elementary_stream(video, cache_dir, fps):
    """Return the path of an Annex-B H.264 version of `video` (cached by path, size, mtime)."""
    if video.endswith(".h264"):
        return video
    st = os.stat(video)
    key = hashlib.sha256(f"{os.path.abspath(video)}|{st.st_size}|{st.st_mtime_ns}|{fps}|v1".encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    out = os.path.join(cache_dir, f"{os.path.splitext(os.path.basename(video))[0]}-{key}.h264")
    if not os.path.exists(out):
        tmp = out + f".{os.getpid()}.tmp"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", video, "-an",
             "-vf", f"fps={fps}", "-c:v", "libx264", "-preset", "veryfast", "-g", str(fps), "-bf", "0",
             "-pix_fmt", "yuv420p", "-f", "h264", tmp],
            check=True,
        )
        os.replace(tmp, out)
    return out


def launch_line(h264, fps, scale):
    scaler = f"videoscale ! video/x-raw,width={scale[0]},height={scale[1]} ! " if scale else ""
    return (
        f'( multifilesrc location="{h264}" loop=true '
        f'caps="video/x-h264,stream-format=byte-stream,framerate={fps}/1" '
        f"! h264parse ! avdec_h264 ! videoconvert ! {scaler}"
        "x264enc tune=zerolatency sliced-threads=false key-int-max=10 bframes=0 speed-preset=ultrafast "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def passthrough_file(video, cache_dir, fps, scale, minutes):
    """A Matroska H.264 copy of `video` at `scale` (None: source size), looped to ~`minutes` (cached)."""
    st = os.stat(video)
    tag = f"{scale[0]}x{scale[1]}" if scale else "src"
    key = hashlib.sha256(f"{os.path.abspath(video)}|{st.st_size}|{st.st_mtime_ns}|{fps}|{tag}|{minutes}|pt1".encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    out = os.path.join(cache_dir, f"{os.path.splitext(os.path.basename(video))[0]}-{tag}-{key}.mkv")
    if not os.path.exists(out):
        dur = float(subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", video],
            check=True, capture_output=True, text=True).stdout.strip() or 60)
        loops = max(0, int(minutes * 60 / max(dur, 1)))
        vf = f"fps={fps}" + (f",scale={scale[0]}:{scale[1]}" if scale else "")
        tmp = out + f".{os.getpid()}.tmp.mkv"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-stream_loop", str(loops), "-i", video, "-an",
             "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-g", str(fps), "-bf", "0",
             "-pix_fmt", "yuv420p", tmp],
            check=True,
        )
        os.replace(tmp, out)
    return out


def passthrough_line(mkv):
    return f'( filesrc location="{mkv}" ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'


def probe_size(h264):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", h264],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    w, h = (int(x) for x in out.split(",")[:2])
    return w, h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--video", required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="")
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "streetwatch-rtsp-cache"))
    ap.add_argument("--passthrough", action="store_true", help="serve pre-encoded copies, no re-encoding")
    ap.add_argument("--passthrough-minutes", type=float, default=10)
    args = ap.parse_args()

    Gst.init(None)
    h264 = elementary_stream(args.video, args.cache_dir, args.fps)
    w, h = probe_size(h264)
    sub = (max(2, (w // 2) // 2 * 2), max(2, (h // 2) // 2 * 2))

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    auth.set_realm(REALM)
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth.add_digest(args.user, args.password, token)
    server.set_auth(auth)

    mounts = server.get_mount_points()
    for path, scale in (("/Streaming/Channels/101", None), ("/Streaming/Channels/102", sub)):
        factory = GstRtspServer.RTSPMediaFactory()
        if args.passthrough and scale:
            factory.set_launch(passthrough_line(passthrough_file(args.video, args.cache_dir, args.fps, scale, args.passthrough_minutes)))
        else:
            factory.set_launch(launch_line(h264, args.fps, scale))
        factory.set_shared(True)
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        factory.add_role_from_structure(
            Gst.Structure.new_from_string("viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
        )
        mounts.add_factory(path, factory)

    if server.attach(None) == 0:
        print(f"ERROR cannot bind 127.0.0.1:{args.port}", flush=True)
        sys.exit(2)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    port = server.get_bound_port()
    print(f"READY rtsp://127.0.0.1:{port} main={w}x{h} sub={sub[0]}x{sub[1]}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()

/**
 * Real footage for tests. The directory is a parameter (tests may pass their own); the default
 * is $STREETWATCH_VIDEO_DIR, else ~/.cache/streetwatch/video, filled by
 * examples/scenes/fetch-video.sh when absent. Scenes come from examples/scenes/make-scenes.sh.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPTS = join(REPO, 'examples/scenes');
const DATA = 'usr/share/doc/opencv-doc/examples/data';

export function defaultVideoDir(): string {
  return process.env.STREETWATCH_VIDEO_DIR ?? join(homedir(), '.cache/streetwatch/video');
}

export function defaultScenesDir(): string {
  return process.env.STREETWATCH_SCENES_DIR ?? join(homedir(), '.cache/streetwatch/scenes');
}

/** The opencv-doc data directory (vtest.avi, licenseplate_motion.jpg), fetched if missing. */
export function videoDataDir(dir: string = defaultVideoDir()): string {
  // The stack's STREETWATCH_VIDEO_DIR already is the data directory.
  if (existsSync(join(dir, 'vtest.avi')) && existsSync(join(dir, 'licenseplate_motion.jpg'))) return dir;
  const data = join(dir, DATA);
  if (existsSync(join(data, 'vtest.avi')) && existsSync(join(data, 'licenseplate_motion.jpg'))) return data;
  execFileSync('bash', [join(SCRIPTS, 'fetch-video.sh'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return data;
}

export function vtestPath(dir?: string): string {
  return join(videoDataDir(dir), 'vtest.avi');
}

export function carStillPath(dir?: string): string {
  return join(videoDataDir(dir), 'licenseplate_motion.jpg');
}

/** A composed scene (vtest-20s.mp4, parking.mp4), built if missing or stale. */
export function scenePath(name: 'vtest-20s.mp4' | 'parking.mp4', dir: string = defaultScenesDir(), videoDir?: string): string {
  const env = { ...process.env, ...(videoDir === undefined ? {} : { STREETWATCH_VIDEO_DIR: videoDir }) };
  execFileSync('bash', [join(SCRIPTS, 'make-scenes.sh'), dir], { stdio: ['ignore', 'pipe', 'inherit'], env });
  return join(dir, name);
}

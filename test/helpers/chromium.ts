// A real headless Chromium for page checks: Debian's `chromium` (`.ci/run` installs it when absent). A page is
// loaded from a file with a measuring script appended; the script leaves its findings as JSON in the DOM, which
// `--dump-dom` hands back. No browser download, no CDP library: the system binary and its command line.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];
const RUN_TIMEOUT_MS = 60_000;
const RESULT_ATTRIBUTE = 'data-page-check';

/** The first Chromium binary on PATH (`CHROMIUM_BIN` overrides), or undefined. */
export function findChromium(): string | undefined {
  const listed = process.env.CHROMIUM_BIN !== undefined ? [process.env.CHROMIUM_BIN] : CANDIDATES;
  return listed.find((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0);
}

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

function run(bin: string, args: readonly string[], userDataDir: string): Promise<string> {
  const base = [
    '--headless',
    '--disable-gpu',
    '--no-sandbox',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    `--user-data-dir=${userDataDir}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      [...base, ...args],
      { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr.slice(-2000)}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Loads `html` at the viewport, runs `measure` (the source of a function taking no argument and returning JSON-able
 * data) after layout, and returns its result.
 */
export async function measurePage<T>(bin: string, html: string, viewport: Viewport, measure: string): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-chromium-'));
  try {
    // An error in `measure` comes back as the result's `pageError`, not as a missing result.
    const script = `<script>let r; try { r = (${measure})(); } catch (e) { r = { pageError: String(e && e.stack || e) }; }
document.documentElement.setAttribute(${JSON.stringify(RESULT_ATTRIBUTE)}, JSON.stringify(r));</script>`;
    const page = join(dir, 'page.html');
    writeFileSync(page, html.replace(/<\/body>/, `${script}</body>`));
    const dom = await run(
      bin,
      [`--window-size=${viewport.width},${viewport.height}`, '--dump-dom', pathToFileURL(page).href],
      join(dir, 'profile'),
    );
    const found = new RegExp(`${RESULT_ATTRIBUTE}="([^"]*)"`).exec(dom);
    if (found === null) throw new Error(`the page check left no result; the page's DOM begins: ${dom.slice(0, 500)}`);
    const result = JSON.parse(unescapeAttribute(found[1]!)) as T | { pageError: string };
    if (typeof result === 'object' && result !== null && 'pageError' in result) {
      throw new Error(`the page check failed in the page: ${result.pageError}`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PNG of `html` at the viewport. */
export async function screenshot(bin: string, html: string, viewport: Viewport, pngPath: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'rc-chromium-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, html);
    await run(
      bin,
      [`--window-size=${viewport.width},${viewport.height}`, `--screenshot=${pngPath}`, pathToFileURL(page).href],
      join(dir, 'profile'),
    );
    return readFileSync(pngPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function unescapeAttribute(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&');
}

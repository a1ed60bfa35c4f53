// Datadog's public v1 roots, pinned by site as the reference agent embeds them (pkg/config/remote/meta).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'datadog-roots');

export function embeddedRootsForSite(site: string): { config: Uint8Array; director: Uint8Array } {
  const flavour =
    site === 'datad0g.com' ? 'staging' : site === 'ddog-gov.com' || site.endsWith('.ddog-gov.com') ? 'gov' : 'prod';
  return {
    config: readFileSync(join(ROOTS_DIR, `${flavour}.config.json`)),
    director: readFileSync(join(ROOTS_DIR, `${flavour}.director.json`)),
  };
}

// A progress bar on stderr (cli-progress). Silent when stderr is not a terminal, so logs and tests stay clean.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

export function createProgress(label: string, total: number, extraFormat = ''): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total} {percentage}%${extraFormat}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, {});
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    stop: () => bar.stop(),
  };
}

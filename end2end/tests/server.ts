// A Huddle server of a test's own (the release build), for tests that need
// their own settings or that stop and restart the server.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');

export class Server {
  readonly base: string;
  readonly dataDir: string;
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string> = {},
  ) {
    this.base = `http://127.0.0.1:${port}`;
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `huddle-e2e-${port}-`));
  }

  /// Starts the server (again, on the same data directory) and waits until
  /// it serves its page.
  async start(): Promise<void> {
    const child = spawn(path.join(root, 'target', 'release', 'huddle'), [], {
      cwd: root,
      env: {
        ...process.env,
        HUDDLE_ADDR: `127.0.0.1:${this.port}`,
        HUDDLE_DATA_DIR: this.dataDir,
        HUDDLE_SITE_ROOT: path.join(root, 'target', 'site'),
        // Several servers run at once: none takes the metrics port.
        HUDDLE_METRICS_ADDR: 'off',
        RUST_LOG: 'warn',
        ...this.env,
      },
      stdio: 'inherit',
    });
    this.child = child;
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${this.base}/`);
        if (r.ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`the server on port ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }
}

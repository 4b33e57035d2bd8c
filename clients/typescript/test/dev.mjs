// The Sandman the tests talk to: SANDMAN_URL (with SANDMAN_ADMIN_TOKEN and SANDMAN_APP_TOKEN) if set,
// else a `./sandman dev` of this checkout started on free ports and stopped after the tests.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `./sandman dev` on free ports; a port taken between choosing and binding it means another try. */
export async function startSandman(extraEnv = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(extraEnv);
    } catch (error) {
      if (attempt === 3 || !/exited with 2/.test(error.message)) throw error;
    }
  }
}

async function startOnce(extraEnv) {
  if (process.env.SANDMAN_URL) {
    return {
      url: process.env.SANDMAN_URL,
      admin: process.env.SANDMAN_ADMIN_TOKEN,
      app: process.env.SANDMAN_APP_TOKEN,
      stop: async () => {},
    };
  }
  const [temporal, http, e2b] = [await freePort(), await freePort(), await freePort()];
  const admin = "ts-client-admin-token-0123456789";
  const app = "ts-client-app-token-0123456789";
  const child = spawn(join(root, "sandman"), ["dev", "--temporal-port", temporal, "--http-port", http, "--e2b-port", e2b].map(String), {
    env: { ...process.env, SANDMAN_ADMIN_TOKEN: admin, SANDMAN_APP_TOKEN: app, SANDMAN_HOME: root, ...extraEnv },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 120_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`./sandman dev exited with ${child.exitCode}`);
    try {
      if ((await fetch(url + "/healthz")).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error("./sandman dev did not answer /healthz within 120 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    admin,
    app,
    e2b: `http://127.0.0.1:${e2b}`,
    stop: async () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone already
      }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    },
  };
}

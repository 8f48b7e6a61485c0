import { ChildProcess, spawn } from 'node:child_process';

/** A running Azurite Table service (and Blob service, when asked) on loopback, in memory, on ports the OS chose. */
export interface LocalAzurite {
    /** Connection string for the devstoreaccount1 account of this instance. */
    readonly connectionString: string;
    readonly tableEndpoint: string;
    /** With `blob: true`: the Blob endpoint, and a connection string naming both services. */
    readonly blobEndpoint?: string;
    readonly storageConnectionString?: string;
    stop(): Promise<void>;
}

// Azurite's well-known development account key: public, documented, only valid against Azurite.
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Runs in the child: Azurite's own TableServer on port 0 with in-memory persistence. The azurite-table command cannot
 * report the port it got when asked for port 0, so the child prints the bound address itself.
 */
const CHILD_SCRIPT = `
const TableServer = require(process.env.AZURITE_TABLE_SERVER).default;
const TableConfiguration = require(process.env.AZURITE_TABLE_CONFIGURATION).default;
const config = new TableConfiguration('127.0.0.1', 0, undefined, undefined, false, false, undefined, undefined,
  false, true, '', '', '', undefined, false, true);
const servers = [new TableServer(config)];
if (process.env.AZURITE_BLOB_SERVER) {
  const BlobServer = require(process.env.AZURITE_BLOB_SERVER).default;
  const BlobConfiguration = require(process.env.AZURITE_BLOB_CONFIGURATION).default;
  servers.push(new BlobServer(new BlobConfiguration('127.0.0.1', 0, undefined, undefined, undefined, undefined,
    false, undefined, false, undefined, false, true, '', '', '', undefined, false, true)));
}
Promise.all(servers.map((s) => s.start())).then(() => {
  process.stdout.write(JSON.stringify({ address: servers[0].getHttpServerAddress(),
    blob: servers[1] && servers[1].getHttpServerAddress() }) + '\\n');
}, (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
process.on('SIGTERM', () => Promise.all(servers.map((s) => s.close())).then(() => process.exit(0), () => process.exit(0)));
process.on('disconnect', () => process.exit(0));
`;

function resolveAzurite(): { server: string; configuration: string; blobServer: string; blobConfiguration: string } {
    try {
        return {
            server: require.resolve('azurite/dist/src/table/TableServer'),
            configuration: require.resolve('azurite/dist/src/table/TableConfiguration'),
            blobServer: require.resolve('azurite/dist/src/blob/BlobServer'),
            blobConfiguration: require.resolve('azurite/dist/src/blob/BlobConfiguration'),
        };
    } catch {
        throw new Error('Azurite is not installed: run `npm ci` in the repository (it is a development dependency).');
    }
}

/** Starts Azurite's Table service (and its Blob service with `blob: true`) in a child process and waits until it listens. */
export async function startLocalAzurite(options: { timeoutMs?: number; blob?: boolean } = {}): Promise<LocalAzurite> {
    const paths = resolveAzurite();
    const child: ChildProcess = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: {
            ...process.env,
            AZURITE_TABLE_SERVER: paths.server,
            AZURITE_TABLE_CONFIGURATION: paths.configuration,
            ...(options.blob
                ? { AZURITE_BLOB_SERVER: paths.blobServer, AZURITE_BLOB_CONFIGURATION: paths.blobConfiguration }
                : {}),
        },
    });
    const { address, blob } = await new Promise<{ address: string; blob?: string }>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`Azurite did not start within ${options.timeoutMs ?? 30_000} ms: ${err}`));
        }, options.timeoutMs ?? 30_000);
        child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const line = out.split('\n').find((l) => l.startsWith('{'));
            if (line) {
                clearTimeout(timer);
                resolve(JSON.parse(line) as { address: string; blob?: string });
            }
        });
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`Azurite exited with code ${code}: ${err}`));
        });
    });
    child.stdout!.removeAllListeners('data');
    child.stdout!.resume();
    child.removeAllListeners('exit');
    const tableEndpoint = `${address}/${DEV_ACCOUNT}`;
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${tableEndpoint};`;
    const blobEndpoint = blob ? `${blob}/${DEV_ACCOUNT}` : undefined;
    return {
        tableEndpoint,
        connectionString,
        ...(blobEndpoint
            ? { blobEndpoint, storageConnectionString: `${connectionString}BlobEndpoint=${blobEndpoint};` }
            : {}),
        stop: () =>
            new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
                child.once('exit', () => {
                    clearTimeout(killer);
                    resolve();
                });
                child.kill('SIGTERM');
            }),
    };
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON receiver standing in for a Teams workflow: records what it gets, fails on demand. */
export async function startWebhook(): Promise<{
    url: string;
    received: Array<Record<string, unknown>>;
    failNext: number;
    close(): Promise<void>;
}> {
    const hook = { received: [] as Array<Record<string, unknown>>, failNext: 0 };
    const server = createServer((req, res) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
            if (hook.failNext > 0) {
                hook.failNext--;
                res.writeHead(500);
                return res.end();
            }
            hook.received.push(JSON.parse(text) as Record<string, unknown>);
            res.writeHead(202);
            res.end();
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    return Object.assign(hook, {
        url: `http://127.0.0.1:${port}/hook`,
        close: () => new Promise<void>((r) => server.close(() => r())),
    });
}

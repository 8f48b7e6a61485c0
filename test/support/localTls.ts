import { generate } from 'selfsigned';

/** A certificate for localhost and 127.0.0.1, made at test time, for the local HTTPS stand-ins of Azure services. */
export async function localhostCertificate(): Promise<{ key: string; cert: string }> {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
        days: 1,
        keySize: 2048,
        extensions: [
            {
                name: 'subjectAltName',
                altNames: [
                    { type: 2, value: 'localhost' },
                    { type: 7, ip: '127.0.0.1' },
                ],
            },
        ],
    } as never);
    return { key: pems.private, cert: pems.cert };
}

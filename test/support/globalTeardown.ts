import type { LocalAzurite } from '../../cli/localAzurite';

export default async function globalTeardown(): Promise<void> {
    await (globalThis as { __azurite?: LocalAzurite }).__azurite?.stop();
}

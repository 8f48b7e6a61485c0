import { createRuntime, Runtime } from '../shared/runtime';
import type { CliIO } from './io';

/** The runtime of the commands that read the state table (incidents, release): ready, its table created. */
export async function adminRuntime(io: CliIO): Promise<Runtime> {
    const rt = createRuntime({ env: io.env });
    await rt.ready();
    return rt;
}

import { BLOCKABLE_METHODS, BlockableMethod } from '../../shared/graph/setupActions';
import { createRuntime } from '../../shared/runtime';
import { parseFlags } from '../flags';
import { CliIO, UsageError, write } from '../io';

interface SetupOptions {
    readonly groupName: string;
    readonly groupId: string | undefined;
    readonly methods: BlockableMethod[];
    readonly json: boolean;
}

function parseSetupArgs(args: string[]): SetupOptions {
    const { values } = parseFlags({
        args,
        options: {
            'group-name': { type: 'string', default: 'SG-MFA-Push-Blocked' },
            'group-id': { type: 'string' },
            methods: { type: 'string', default: 'microsoftAuthenticator' },
            json: { type: 'boolean', default: false },
        },
    });
    const methods = values.methods
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
    const unknown = methods.filter((m) => !(m in BLOCKABLE_METHODS));
    if (methods.length === 0 || unknown.length > 0) {
        throw new UsageError(
            `--methods takes a comma-separated list of ${Object.keys(BLOCKABLE_METHODS).join(', ')}, not "${values.methods}"`,
        );
    }
    return {
        groupName: values['group-name'],
        groupId: values['group-id'],
        methods: methods as BlockableMethod[],
        json: values.json,
    };
}

/** `setup`: the push-block group and its exclusion from the Authenticator policy (and SMS, voice with --methods). */
export async function setupCommand(args: string[], io: CliIO): Promise<number> {
    const options = parseSetupArgs(args);
    const setup = createRuntime({ env: io.env }).setupActions();
    const result = await setup.ensurePushBlockGroup({
        groupName: options.groupName,
        ...(options.groupId ? { groupId: options.groupId } : {}),
        methods: options.methods,
    });
    if (options.json) {
        await write(io.stdout, `${JSON.stringify(result)}\n`);
    } else {
        await write(
            io.stdout,
            `${result.groupCreated ? 'Created' : 'Using'} push-block group ${result.groupId}; ` +
                result.methods
                    .map(
                        (m) =>
                            `${m.excluded === 'already' ? 'already excluded from' : 'excluded from'} the ${m.method} policy (${m.exclusions} exclusion(s) in all)`,
                    )
                    .join('; ') +
                `.\nSet PUSH_BLOCK_GROUP_ID=${result.groupId} through the template: azd env set PUSH_BLOCK_GROUP_ID ${result.groupId} && azd provision\n`,
        );
    }
    return 0;
}

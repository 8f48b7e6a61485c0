import { ConfigError } from '../errors';
import { Env, readSetting, requireSetting } from './readSetting';

/** The Logs Ingestion API target of incident rows: a data collection rule and its stream. */
export interface IncidentLogConfig {
    readonly endpoint: string;
    readonly ruleId: string;
    readonly stream: string;
}

/** Both the endpoint and the rule, or neither: half a configuration stops start-up naming the missing half. */
export function loadIncidentLogConfig(env: Env): IncidentLogConfig | undefined {
    const endpoint = readSetting(env, 'LOGS_INGESTION_ENDPOINT');
    const ruleId = readSetting(env, 'LOGS_INGESTION_RULE_ID');
    if (!endpoint && !ruleId) return undefined;
    if (!endpoint) {
        throw new ConfigError(
            'LOGS_INGESTION_ENDPOINT',
            "Setting LOGS_INGESTION_ENDPOINT is required when LOGS_INGESTION_RULE_ID is set (the data collection rule's logsIngestion endpoint).",
        );
    }
    if (!ruleId) {
        throw new ConfigError(
            'LOGS_INGESTION_RULE_ID',
            "Setting LOGS_INGESTION_RULE_ID is required when LOGS_INGESTION_ENDPOINT is set (the data collection rule's immutable id, dcr-...).",
        );
    }
    return { endpoint, ruleId, stream: requireSetting(env, 'LOGS_INGESTION_STREAM') };
}

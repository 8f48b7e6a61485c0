/**
 * A row of the Microsoft Entra admin center's sign-in download in CSV (Sign-in logs > Download > CSV: the files
 * InteractiveSignIns_<from>_<to>.csv, NonInteractiveSignIns_…, and the same with _AuthDetails_ holding one row per
 * authentication step), read as the Graph `signIn` object the parser reads. Column names as the admin center writes
 * them, in English; how to download: https://learn.microsoft.com/entra/identity/monitoring-health/howto-download-logs.
 *
 * What this format lacks, and what that costs (docs/backtest.md says it too):
 * - no `originalRequestId`: rows are one per sign-in (the admin center merges Entra's several rows of one attempt),
 *   so nothing is lost for counting, but a prompt that shows in the main file and in its _AuthDetails_ file is
 *   matched by its Request ID only;
 * - times to the second ("2025-12-04T08:19:41Z"): prompts are ordered to the second;
 * - the denial reason of the main file is one column, "Multifactor authentication result"; a denial whose reason
 *   Entra wrote only in a failed step is counted only when the _AuthDetails_ file is replayed too.
 */

/** Columns that mark this export (its fingerprint), as the admin center names them. */
const FINGERPRINT = ['Date (UTC)', 'Request ID'];

export function isEntraDownload(columns: readonly string[]): boolean {
    return FINGERPRINT.every((c) => columns.includes(c)) && columns.some((c) => c === 'User ID' || c === 'Username');
}

const text = (row: Readonly<Record<string, string>>, column: string): string | undefined => {
    const v = row[column];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** The row as a Graph `signIn` object: `status` from the error code and MFA result, one step when the row has one. */
export function fromEntraDownloadRow(row: Readonly<Record<string, string>>): Record<string, unknown> {
    const code = text(row, 'Sign-in error code');
    const stepColumns = ['Authentication method', 'Result detail', 'Succeeded'];
    const hasStep = stepColumns.some((c) => text(row, c) !== undefined);
    const when = text(row, 'Date (UTC)') ?? text(row, 'Date');
    return {
        id: text(row, 'Request ID'),
        createdDateTime: when,
        correlationId: text(row, 'Correlation ID'),
        userId: text(row, 'User ID'),
        userPrincipalName: text(row, 'Username'),
        userType: text(row, 'User type'),
        appDisplayName: text(row, 'Application'),
        ipAddress: text(row, 'IP address'),
        status: {
            errorCode: code !== undefined && /^\d{1,12}$/.test(code) ? Number(code) : code,
            failureReason: text(row, 'Failure reason'),
            additionalDetails: text(row, 'Multifactor authentication result'),
        },
        ...(hasStep
            ? {
                  authenticationDetails: [
                      {
                          authenticationStepDateTime: when,
                          authenticationMethod: text(row, 'Authentication method'),
                          authenticationMethodDetail: text(row, 'Authentication method detail'),
                          succeeded: /^true$/i.test(text(row, 'Succeeded') ?? ''),
                          authenticationStepResultDetail: text(row, 'Result detail'),
                          authenticationStepRequirement: text(row, 'Requirement'),
                      },
                  ],
              }
            : {}),
    };
}

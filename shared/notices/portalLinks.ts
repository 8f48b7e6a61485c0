/**
 * Where an analyst goes from a notice: the user in the Microsoft Entra admin center (their sign-in logs, their
 * authentication methods) and the incidents of the Microsoft Sentinel workspace. These are the portals' own deep
 * links (the view and blade names the admin center and the Azure portal put in their addresses), not a documented
 * API: each is built here and nowhere else, from a GUID and a resource id the settings checked, never from log text.
 */

const ENTRA = 'https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~';

/** The user's sign-in logs in the Entra admin center. */
export function entraSignInLogsUrl(userId: string): string {
    return `${ENTRA}/SignIns/userId/${encodeURIComponent(userId)}`;
}

/** The user's authentication methods in the Entra admin center (where a method registered by an attacker is). */
export function entraAuthMethodsUrl(userId: string): string {
    return `${ENTRA}/UserAuthMethods/userId/${encodeURIComponent(userId)}`;
}

/** The incidents of a Microsoft Sentinel workspace in the Azure portal, from the workspace's resource id. */
export function sentinelIncidentsUrl(workspaceResourceId: string): string {
    return `https://portal.azure.com/#view/Microsoft_Azure_Security_Insights/MainMenuBlade/~/Incidents/id/${encodeURIComponent(workspaceResourceId)}`;
}

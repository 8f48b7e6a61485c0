// Grants the responder's managed identity its Microsoft Graph application permissions (app roles). Uses the Microsoft
// Graph Bicep extension, which the compiler downloads from the Microsoft Artifact Registry: building this file needs
// registry access (CI skips it with a message where the registry is unreachable). Without Bicep, use
// ../scripts/grant-graph-permissions.sh, which grants the same roles with az.
// Deploy (any resource group; the resources live in Entra): az deployment group create -g <rg> \
//   --template-file infra/graph/graph-permissions.bicep \
//   --parameters principalId=<RESPONDER_PRINCIPAL_ID output> containmentMode=<CONTAINMENT_MODE>
// It adds roles and never removes one: after a switch back to dry-run, `mfa-responder doctor` names the roles the mode
// no longer uses, with the command that removes each.
// The deployer needs AppRoleAssignment.ReadWrite.All + Application.Read.All: Privileged Role Administrator.
extension microsoftGraphV1

@description('Object id of the managed identity (main.bicep output RESPONDER_PRINCIPAL_ID).')
param principalId string

@description('CONTAINMENT_MODE of the deployment. dry-run makes no Graph call, so it grants nothing; live grants what containment reads and writes. No default: granting the write roles is a decision.')
@allowed(['dry-run', 'live'])
param containmentMode string

@description('PUSH_BLOCK_MODE=remove-method needs UserAuthenticationMethod.ReadWrite.All.')
param removeMethodMode bool = false

@description('REMOVE_NEW_METHODS=true (the default) needs UserAuthenticationMethod.ReadWrite.All.')
param removeNewMethods bool = true

@description('RESET_PASSWORD=true needs User-PasswordProfile.ReadWrite.All, and the User Administrator directory role (granted by ../scripts/grant-graph-permissions.sh --reset-password: this extension cannot assign directory roles).')
param resetPassword bool = false

@description('CONFIRM_COMPROMISED=true needs IdentityRiskyUser.ReadWrite.All (Entra ID P2).')
param confirmCompromised bool = false

@description('DISABLE_ACCOUNT=true needs User.EnableDisableAccount.All.')
param disableAccount bool = false

// Least privilege: shared/graph/permissions.ts says why each is needed; the same choices grant the same roles as
// ../scripts/grant-graph-permissions.sh (test/infra/grantScript.test.ts).
var liveRoles = ['User.Read.All', 'GroupMember.Read.All', 'User.RevokeSessions.All', 'GroupMember.ReadWrite.All']
var optionalRoles = concat(
  removeMethodMode || removeNewMethods ? ['UserAuthenticationMethod.ReadWrite.All'] : [],
  resetPassword ? ['User-PasswordProfile.ReadWrite.All'] : [],
  confirmCompromised ? ['IdentityRiskyUser.ReadWrite.All'] : [],
  disableAccount ? ['User.EnableDisableAccount.All'] : []
)
var roleNames = containmentMode == 'live' ? concat(liveRoles, optionalRoles) : []

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for role in roleNames: {
    principalId: principalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, r => r.value == role)[0].id
  }
]

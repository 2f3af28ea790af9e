// Site names are global: the control plane asks Microsoft.Web/checkNameAvailability, a
// subscription-level call, before it creates an app. Reader on the subscription allows it.
targetScope = 'subscription'

@description('Principal (object) id of the router\'s user-assigned identity.')
param principalId string

var readerRole = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, readerRole)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRole)
  }
}

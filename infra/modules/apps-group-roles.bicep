// The router's identity on the resource group where the control plane creates the apps.
// Deployed as a module so that this group may be another one than the router's own.

@description('Principal (object) id of the router\'s user-assigned identity.')
param principalId string

// Built-in role definition ids (the same in every tenant).
var roles = {
  websiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772' // Website Contributor: sites, settings, keys, OneDeploy, delete
  webPlanContributor: '2cc479cb-7b4d-49a8-b449-8c00fd0f0a4b' // Web Plan Contributor: a Flex plan per app, shared EP1/Y1 plans
  tagContributor: '4a9ae827-6dc8-4573-8ac7-8239d42aa03f' // Tag Contributor: what is deployed, kept in the site's tags
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(roles): {
  name: guid(resourceGroup().id, principalId, role.value)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
  }
}]

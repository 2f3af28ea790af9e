// durable-router's own resources: the shared storage account, the control plane (a Function App
// on Flex Consumption), the front door (Azure Container Apps), a user-assigned identity for each
// and the monitoring they report to. See README.md for the deployment step by step.
targetScope = 'resourceGroup'

@description('The router id: 1 to 16 lower-case letters and digits, starting with a letter (part of app and task hub names).')
@minLength(1)
@maxLength(16)
param routerId string

@description('Location of every resource here and of the apps the control plane creates.')
param location string = resourceGroup().location

@description('Resource group where the control plane creates the apps (it must exist). Default: this one.')
param appsResourceGroup string = resourceGroup().name

@description('Apps are named <prefix>-v<major>-<minor>; names are global on Azure. 2 to 20 lower-case letters, digits and inner hyphens.')
@minLength(2)
@maxLength(20)
param appNamePrefix string = 'dr-${take(uniqueString(subscription().id, resourceGroup().id, routerId), 10)}'

@description('Hosting plan of the apps the control plane creates: FC1 (Flex Consumption), EP1 or Y1.')
@allowed([
  'FC1'
  'EP1'
  'Y1'
])
param appsPlanSku string = 'FC1'

@description('The front door\'s image, e.g. <registry>.azurecr.io/durable-router:0.1.0 (built from the repository\'s Dockerfile).')
param frontDoorImage string

@description('Name of an Azure Container Registry in this resource group that holds the image; the front door\'s identity gets AcrPull on it. Empty: a public image.')
param containerRegistryName string = ''

@description('At most this many front door replicas (at least 2 always run).')
@minValue(2)
param frontDoorMaxReplicas int = 10

@description('Front door processes per replica (node:cluster workers sharing its port); capacity beyond one CPU comes from replicas.')
@minValue(1)
@maxValue(64)
param frontDoorWorkers int = 1

@description('At most this many control plane instances (Flex Consumption scale-out limit).')
param controlPlaneMaximumInstanceCount int = 40

@description('Give the control plane\'s identity Reader on the subscription (the control plane checks that an app name is free, a subscription-level call). Needs Owner or User Access Administrator on the subscription; false: assign it yourself.')
param grantSubscriptionReader bool = true

@description('What operators present as "Authorization: Bearer <key>" to the front door\'s /admin API (at least 16 characters).')
@secure()
@minLength(16)
param adminKey string

@description('What clients present for the durable HTTP API behind the front door (16 to 256 URL-safe characters).')
@secure()
@minLength(16)
@maxLength(256)
param durableKey string

@description('What clients present for /api routes of authLevel function (16 to 256 URL-safe characters).')
@secure()
@minLength(16)
@maxLength(256)
param functionKey string

@description('Seals the apps\' keys the control plane keeps; the front doors open them with it (at least 32 characters).')
@secure()
@minLength(32)
param secretsKey string

@description('The key the control plane\'s API demands; the front door forwards releases with it (at least 16 characters).')
@secure()
@minLength(16)
param controlPlaneKey string

var suffix = uniqueString(subscription().id, resourceGroup().id, routerId)
var storageAccountName = 'stdr${suffix}'
var controlPlaneIdentityName = 'dr-${routerId}-control-identity'
var frontDoorIdentityName = 'dr-${routerId}-frontdoor-identity'
var workspaceName = 'dr-${routerId}-logs'
var insightsName = 'dr-${routerId}-insights'
var controlPlaneAppName = 'dr-${routerId}-control-${suffix}'
var controlPlanePlanName = '${controlPlaneAppName}-plan'
var environmentName = 'dr-${routerId}-env'
var frontDoorAppName = 'dr-${routerId}-frontdoor'
// The code's default (ROUTER_PACKAGE_CONTAINER); set explicitly so the container made here is the one used.
var packageContainerName = 'durable-router-packages'
var controlPlaneDeploymentContainerName = 'control-plane-deployment'
// The port the front door listens on (the Dockerfile's too); set here so the image's defaults do not matter.
var frontDoorPort = 8080

// Built-in role definition ids (the same in every tenant).
var storageTableDataReader = '76199698-9eea-4c19-bc75-cec21354c6b6' // Storage Table Data Reader
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d' // AcrPull

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    // The control plane uploads packages and hands the apps it creates their storage with the account key.
    allowSharedKeyAccess: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: packageContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource controlPlaneDeploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: controlPlaneDeploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Built here rather than stored: the control plane gives it to every app it creates (AzureWebJobsStorage).
var storageConnectionString = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

// Two identities, each with only what its process does: the control plane manages apps (and
// reaches storage with the account key it hands to them); the internet-facing front door only
// reads the router's tables.
resource controlPlaneIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: controlPlaneIdentityName
  location: location
}

resource frontDoorIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: frontDoorIdentityName
  location: location
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// The three tables the front door reads, made here so that its role covers them and nothing else
// (not the control plane's own tables, which hold sealed release settings). Names as in the code:
// the version map, the apps' sealed keys, and the shared tracking store's Instances table.
resource versionMapTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'DurableRouterVersionMap'
}

resource appKeysTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'DurableRouterAppKeys'
}

resource instancesTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'DurableTaskInstances'
}

resource versionMapReaderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(versionMapTable.id, frontDoorIdentity.id, storageTableDataReader)
  scope: versionMapTable
  properties: {
    principalId: frontDoorIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataReader)
  }
}

resource appKeysReaderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appKeysTable.id, frontDoorIdentity.id, storageTableDataReader)
  scope: appKeysTable
  properties: {
    principalId: frontDoorIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataReader)
  }
}

resource instancesReaderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(instancesTable.id, frontDoorIdentity.id, storageTableDataReader)
  scope: instancesTable
  properties: {
    principalId: frontDoorIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataReader)
  }
}

resource blobDataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, controlPlaneIdentity.id, storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: controlPlaneIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

module appsGroupRoles 'modules/apps-group-roles.bicep' = {
  name: 'dr-${routerId}-apps-group-roles'
  scope: resourceGroup(appsResourceGroup)
  params: {
    principalId: controlPlaneIdentity.properties.principalId
  }
}

module subscriptionReader 'modules/subscription-reader.bicep' = if (grantSubscriptionReader) {
  name: 'dr-${routerId}-subscription-reader'
  scope: subscription()
  params: {
    principalId: controlPlaneIdentity.properties.principalId
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(containerRegistryName)) {
  name: containerRegistryName
}

resource acrPullRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(containerRegistryName)) {
  name: guid(resourceGroup().id, containerRegistryName, frontDoorIdentity.id, acrPull)
  scope: registry
  properties: {
    principalId: frontDoorIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource controlPlanePlan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: controlPlanePlanName
  location: location
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource controlPlane 'Microsoft.Web/sites@2024-04-01' = {
  name: controlPlaneAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${controlPlaneIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: controlPlanePlan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${controlPlaneDeploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: controlPlaneIdentity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: controlPlaneMaximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        {
          name: 'AzureWebJobsStorage'
          value: storageConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: insights.properties.ConnectionString
        }
        {
          name: 'AZURE_CLIENT_ID'
          value: controlPlaneIdentity.properties.clientId
        }
        {
          name: 'ROUTER_PLATFORM'
          value: 'azure'
        }
        {
          name: 'ROUTER_ID'
          value: routerId
        }
        {
          name: 'ROUTER_STORAGE'
          value: storageConnectionString
        }
        {
          name: 'ROUTER_CONTROL_PLANE_DATA'
          value: '/tmp/durable-router'
        }
        {
          name: 'ROUTER_CONTROL_PLANE_TASKHUB'
          value: '${routerId}control'
        }
        {
          name: 'ROUTER_APP_NAME_PREFIX'
          value: appNamePrefix
        }
        {
          name: 'ROUTER_CONTROL_PLANE_KEY'
          value: controlPlaneKey
        }
        {
          name: 'ROUTER_SECRETS_KEY'
          value: secretsKey
        }
        {
          name: 'AZURE_SUBSCRIPTION_ID'
          value: subscription().subscriptionId
        }
        {
          name: 'ROUTER_RESOURCE_GROUP'
          value: appsResourceGroup
        }
        {
          name: 'ROUTER_LOCATION'
          value: location
        }
        {
          name: 'ROUTER_PLAN_SKU'
          value: appsPlanSku
        }
        {
          name: 'ROUTER_PACKAGE_CONTAINER'
          value: packageContainerName
        }
        {
          // Package URLs are downloaded only from these hosts: the router's own blob endpoint (a
          // pipeline uploads its zip there and releases a SAS URL). Add hosts here, comma-separated.
          name: 'ROUTER_PACKAGE_HOSTS'
          value: '${storage.name}.blob.${environment().suffixes.storage}'
        }
        {
          // Release uploads stream to disk up to the package limit (256 MiB); the host's default is 100 MiB.
          name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'
          value: '268435456'
        }
      ]
    }
  }
  dependsOn: [
    blobDataRole
    controlPlaneDeploymentContainer
    packageContainer
  ]
}

resource managedEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
  }
}

resource frontDoor 'Microsoft.App/containerApps@2024-03-01' = {
  name: frontDoorAppName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${frontDoorIdentity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: managedEnvironment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: frontDoorPort
        transport: 'auto'
        allowInsecure: false
      }
      registries: empty(containerRegistryName) ? [] : [
        {
          server: '${containerRegistryName}${environment().suffixes.acrLoginServer}'
          identity: frontDoorIdentity.id
        }
      ]
      secrets: [
        {
          name: 'admin-key'
          value: adminKey
        }
        {
          name: 'durable-key'
          value: durableKey
        }
        {
          name: 'function-key'
          value: functionKey
        }
        {
          name: 'secrets-key'
          value: secretsKey
        }
        {
          name: 'control-plane-key'
          value: controlPlaneKey
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'front-door'
          image: frontDoorImage
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: [
            {
              name: 'ROUTER_HOST'
              value: '0.0.0.0'
            }
            {
              name: 'ROUTER_PORT'
              value: string(frontDoorPort)
            }
            {
              name: 'ROUTER_STORAGE__tableServiceUri'
              value: storage.properties.primaryEndpoints.table
            }
            {
              name: 'ROUTER_WORKERS'
              value: string(frontDoorWorkers)
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: frontDoorIdentity.properties.clientId
            }
            {
              name: 'ROUTER_ADMIN_KEY'
              secretRef: 'admin-key'
            }
            {
              name: 'ROUTER_DURABLE_KEY'
              secretRef: 'durable-key'
            }
            {
              name: 'ROUTER_FUNCTION_KEY'
              secretRef: 'function-key'
            }
            {
              name: 'ROUTER_SECRETS_KEY'
              secretRef: 'secrets-key'
            }
            {
              name: 'ROUTER_CONTROL_PLANE_URL'
              value: 'https://${controlPlane.properties.defaultHostName}'
            }
            {
              name: 'ROUTER_CONTROL_PLANE_KEY'
              secretRef: 'control-plane-key'
            }
            {
              name: 'ROUTER_PUBLIC_URL'
              value: 'https://${frontDoorAppName}.${managedEnvironment.properties.defaultDomain}'
            }
          ]
          probes: [
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: frontDoorPort
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: frontDoorPort
              }
              periodSeconds: 5
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: 2
        maxReplicas: frontDoorMaxReplicas
      }
    }
  }
  dependsOn: [
    tableDataRole
    acrPullRole
  ]
}

output frontDoorUrl string = 'https://${frontDoor.properties.configuration.ingress.fqdn}'
output controlPlaneAppName string = controlPlane.name
output controlPlaneUrl string = 'https://${controlPlane.properties.defaultHostName}'
output storageAccountName string = storage.name
output controlPlaneIdentityClientId string = controlPlaneIdentity.properties.clientId
output frontDoorIdentityClientId string = frontDoorIdentity.properties.clientId

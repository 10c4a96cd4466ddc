package railway

import (
	"fmt"
	"strings"
)

// Operation names: the operationName of each document, the op of errors and
// the operation label of OnRequest.
const (
	OpAPIToken          = "ApiToken"
	OpMe                = "Me"
	OpProjectAccess     = "ProjectAccess"
	OpProjectToken      = "ProjectToken"
	OpProject           = "Project"
	OpObserve           = "Observe"
	OpObserveInstances  = "ObserveInstances"
	OpRenderedVariables = "RenderedVariables"
	OpTemplate          = "Template"
	OpDeployTemplate    = "DeployTemplate"
	OpWorkflowStatus    = "WorkflowStatus"
	OpUpsertVariables   = "UpsertVariables"
	OpDeployService     = "DeployService"
	OpDeployment        = "Deployment"
	OpDeploymentLogs    = "DeploymentLogs"
)

const docAPIToken = `query ApiToken {
  apiToken { workspaces { id name } }
}`

const docMe = `query Me {
  me { id name }
}`

const docProjectAccess = `query ProjectAccess($id: String!) {
  project(id: $id) {
    id
    name
    environments(first: 500) { edges { node { id name } } }
  }
}`

const docProjectToken = `query ProjectToken {
  projectToken {
    projectId
    environmentId
    project { name }
    environment { name }
  }
}`

const docProject = `query Project($id: String!, $environmentsAfter: String, $servicesAfter: String) {
  project(id: $id) {
    id
    name
    environments(first: 500, after: $environmentsAfter) {
      edges { node { id name } }
      pageInfo { hasNextPage endCursor }
    }
    services(first: 500, after: $servicesAfter) {
      edges { node { id name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

// instancesSelection is the service-instance page both Observe and
// ObserveInstances read.
const instancesSelection = `edges {
        node {
          serviceId
          serviceName
          source { image }
          latestDeployment { id status createdAt statusUpdatedAt }
        }
      }
      pageInfo { hasNextPage endCursor }`

const docObserveInstances = `query ObserveInstances($project: String!, $env: String!, $after: String) {
  environment(id: $env, projectId: $project) {
    id
    serviceInstances(first: 500, after: $after) {
      ` + instancesSelection + `
    }
  }
}`

const docRenderedVariables = `query RenderedVariables($project: String!, $env: String!, $service: String!) {
  variables(projectId: $project, environmentId: $env, serviceId: $service)
}`

const docTemplate = `query Template($code: String!) {
  template(code: $code) { id code serializedConfig }
}`

const docDeployTemplate = `mutation DeployTemplate($project: String!, $env: String!, $template: String!, $config: SerializedTemplateConfig!) {
  templateDeployV2(input: {projectId: $project, environmentId: $env, templateId: $template, serializedConfig: $config}) {
    projectId
    workflowId
  }
}`

const docWorkflowStatus = `query WorkflowStatus($id: String!) {
  workflowStatus(workflowId: $id) { status error }
}`

// docUpsertVariables fixes skipDeploys: true in the document itself and never
// names replace (whose default is false).
const docUpsertVariables = `mutation UpsertVariables($project: String!, $env: String!, $service: String!, $variables: EnvironmentVariables!) {
  variableCollectionUpsert(input: {projectId: $project, environmentId: $env, serviceId: $service, variables: $variables, skipDeploys: true})
}`

const docDeployService = `mutation DeployService($env: String!, $service: String!) {
  serviceInstanceDeployV2(environmentId: $env, serviceId: $service)
}`

const docDeployment = `query Deployment($id: String!) {
  deployment(id: $id) { id serviceId status createdAt statusUpdatedAt }
}`

const docDeploymentLogs = `query DeploymentLogs($id: String!, $limit: Int, $filter: String) {
  deploymentLogs(deploymentId: $id, limit: $limit, filter: $filter) { timestamp message severity }
}`

// ObserveDocument is the Observe query for n services: the environment's
// service instances plus one alias v<i> per service, reading its unrendered
// variables with $s<i> (Observe assigns the sorted service ids in order). The
// same n always yields the same document.
func ObserveDocument(n int) string {
	var b strings.Builder
	b.WriteString("query Observe($project: String!, $env: String!")
	for i := range n {
		fmt.Fprintf(&b, ", $s%d: String!", i)
	}
	b.WriteString(`) {
  environment(id: $env, projectId: $project) {
    id
    serviceInstances(first: 500) {
      ` + instancesSelection + `
    }
  }`)
	for i := range n {
		fmt.Fprintf(&b, "\n  v%d: variables(projectId: $project, environmentId: $env, serviceId: $s%d, unrendered: true)", i, i)
	}
	b.WriteString("\n}")
	return b.String()
}

// Operations returns every GraphQL document the client can send, by
// operation name. Observe is included with two aliased services; its other
// instances differ only in the number of aliases.
func Operations() map[string]string {
	return map[string]string{
		OpAPIToken:          docAPIToken,
		OpMe:                docMe,
		OpProjectAccess:     docProjectAccess,
		OpProjectToken:      docProjectToken,
		OpProject:           docProject,
		OpObserve:           ObserveDocument(2),
		OpObserveInstances:  docObserveInstances,
		OpRenderedVariables: docRenderedVariables,
		OpTemplate:          docTemplate,
		OpDeployTemplate:    docDeployTemplate,
		OpWorkflowStatus:    docWorkflowStatus,
		OpUpsertVariables:   docUpsertVariables,
		OpDeployService:     docDeployService,
		OpDeployment:        docDeployment,
		OpDeploymentLogs:    docDeploymentLogs,
	}
}

/** The OpenAPI document of the whole API, as committed in openapi.yaml. */
import { createApp } from './app.js'

export function openApiYaml(): Promise<string> {
  // Building the document never resolves request dependencies.
  return createApp(() => {
    throw new Error('no requests while generating the OpenAPI document')
  }).openApiYaml()
}

#!/usr/bin/env node
// The CLI compiled by `npm run build` (run by npm install through `prepare`): no TypeScript loader at run time,
// which halves start-up time. During development, `npm run dev` runs the sources with tsx instead.
// The young generation is held before the CLI's modules load: they are most of what start-up allocates.
import { holdYoungGeneration } from '../build/broker/young-generation.js'

holdYoungGeneration()
await import('../build/broker/cli.js')

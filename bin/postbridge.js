#!/usr/bin/env node
// The CLI as `npm run build` bundled it (run by npm install through `prepare`): no TypeScript loader and no module
// resolution at run time, which is most of start-up. During development, `npm run dev` runs the sources with tsx.
// V8 is held back (young generation growth, the optimising compiler) before the CLI's modules load: they are most of
// what start-up allocates and runs. `start` gives it back once ready, every other command at once.
import { holdDuringStartUp } from '../build/bundle/start-up-hold.js'

holdDuringStartUp()
await import('../build/bundle/cli.js')

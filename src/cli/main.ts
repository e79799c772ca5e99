#!/usr/bin/env node
// `litellm-otel`: the command line. Subcommands register themselves from their own files.

import { Command } from 'commander';
import { registerProxyCommand } from './proxy.js';
import { registerAggregatorCommand } from './aggregator.js';

const program = new Command();
program.name('litellm-otel').description("LiteLLM's metric set through OpenTelemetry, merged across workers");
registerProxyCommand(program);
registerAggregatorCommand(program);

await program.parseAsync(process.argv);

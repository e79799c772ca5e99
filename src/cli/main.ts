#!/usr/bin/env node
// `litellm-otel`: the command line. Subcommands register themselves from their own files.

import { Command } from 'commander';
import { registerProxyCommand } from './proxy.js';
import { registerAggregatorCommand } from './aggregator.js';
import { registerFakeLlmCommand } from './fake-llm.js';

const program = new Command();
program.name('litellm-otel').description("LiteLLM's metric set through OpenTelemetry, merged across workers");
registerProxyCommand(program);
registerAggregatorCommand(program);
registerFakeLlmCommand(program);

await program.parseAsync(process.argv);

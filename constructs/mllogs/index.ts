export * from './schema';
export * from './types';
export { TOKENS, type TokenDefinition, type TokenName } from './tokens';
export { ML_LOG_CATALOG } from './catalog';
export { compileTemplate, expandGrok, parseGrokDefinitions, captureGroups, type Dialect } from './pattern';
export { createParser, epochToIso, type MlLogParser, type ParseResult } from './engine';
export {
  createEngine,
  createGrokEngine,
  createRe2Engine,
  loadGrokDefinitions,
  EngineUnavailableError,
  type EngineName,
  type RegexEngine,
  type CompiledRegex,
} from './regex-engine';
export { evaluate, formatReport, score, sameValue, type CorpusRecord, type EvaluationReport, type Scores } from './evaluate';
export { compileLogstashFilter, type LogstashFilterOptions } from './compile-logstash';
export {
  buildLokiStages,
  compileAlloyStages,
  compilePromtailStages,
  LOKI_OUTPUT_FIELDS,
  type LokiPipelineOptions,
  type LokiStage,
  type PromtailStage,
} from './compile-loki';
export {
  TRACEBACK_MULTILINE,
  compileAlloyMultiline,
  compileFilebeatMultiline,
  compilePromtailMultiline,
  groupLines,
  type FilebeatMultiline,
  type MultilineRule,
} from './multiline';

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

/** TensorRT, trtexec, TensorRT-LLM, onnxruntime TensorRT EP. Triton glog lines use torch_glog. */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

export const TENSORRT_FORMATS: readonly LineFormat[] = [
  {
    id: 'trt_ts_level',
    family: 'tensorrt',
    summary: 'trtexec `[10/03/2024-10:47:59] [I] [TRT] text` (opening `[` may be missing)',
    start: '\\[?\\d{1,2}[/-]\\d{1,2}[/-]\\d{4}[- ][\\d:.,]*\\] \\[[IWEFDV]\\]',
    pattern: `^\\[?%{TS_MDY:ts_mdy}\\] \\[%{GLOG_LEVEL:level}\\](?: \\[%{TRT_LOGGER:logger}\\])?${MESSAGE}`,
  },
  {
    id: 'trt_ts_logger',
    family: 'tensorrt',
    summary: 'TensorRT python logger `[05/28/2023-21:01:14] [TRT] [W] text`',
    start: '\\[?\\d{1,2}[/-]\\d{1,2}[/-]\\d{4}[- ][\\d:.,]*\\] \\[T',
    pattern: `^\\[?%{TS_MDY:ts_mdy}\\] \\[%{TRT_LOGGER:logger}\\] \\[%{LEVEL_ANY:level}\\]${MESSAGE}`,
  },
  {
    id: 'trt_tag_level',
    family: 'tensorrt',
    summary: '`[TensorRT] WARNING: text`, `[TensorRT-LLM][INFO] text`, `[TRT] [W] text`',
    prefilter: ['[T'],
    pattern: `^\\[%{TRT_LOGGER:logger}\\] ?(?:\\[?%{LEVEL_ANY:level}(?:\\]|:))?${MESSAGE}`,
  },
  {
    id: 'trt_level_only',
    family: 'tensorrt',
    summary: 'trtexec/polygraphy without a timestamp `[W] [TRT] text`, `[I] text`',
    start: '\\[[IWEFDV]\\]',
    pattern: `^\\[%{GLOG_LEVEL:level}\\](?: \\[%{TRT_LOGGER:logger}\\])?${MESSAGE}`,
  },
  {
    id: 'onnxruntime_trt',
    family: 'tensorrt',
    summary: 'onnxruntime TensorRT EP `[W:onnxruntime:Default, file.h:53 func] [2021-12-08 16:53:27 WARNING] text`',
    prefilter: [':onnxruntime:'],
    pattern: `^\\[%{GLOG_LEVEL}:onnxruntime:[^,\\]]*, %{SRC_LINE:logger} [^\\]]*\\] \\[%{TS_ISO:timestamp} %{LEVEL_WORD:level}\\]${MESSAGE}`,
  },
  {
    id: 'level_src_line',
    family: 'tensorrt',
    summary: 'onnx-tensorrt parser `ERROR: ModelImporter.cpp:92 In function parseGraph:`',
    start: '(?:DEBUG|INFO|WARNING|ERROR|CRITICAL): ',
    pattern: `^%{PY_LEVEL:level}: %{SRC_LINE:logger} ${MESSAGE}`,
  },
];

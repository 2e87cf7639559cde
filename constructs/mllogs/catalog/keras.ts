/** Keras (bars are extractors) and TensorFlow C++ glog lines. */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

export const KERAS_FORMATS: readonly LineFormat[] = [
  {
    id: 'tf_glog',
    family: 'tensorflow',
    summary: 'TensorFlow C++ log `2023-05-01 12:00:00.123456: I tensorflow/...cc:182] text` (timestamp may be missing)',
    prefilter: [': '],
    start: '(?:\\d{4}-\\d{2}-\\d{2}[T ][\\d:.,Z+-]*)?: [IWEFDV] ',
    pattern: `^(?:%{TS_ISO:timestamp})?: %{GLOG_LEVEL:level} %{PATH_LINE:logger}\\]${MESSAGE}`,
  },
];

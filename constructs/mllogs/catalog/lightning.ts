/**
 * PyTorch Lightning. Its progress bars (`Epoch 3: 45%|... 12/27 [..., 1.6it/s, loss=...]`),
 * banners (`GLOBAL_RANK: 2`) and `Trainer.fit stopped` are read by extractors and event rules;
 * its warnings use the python_warning format. This file holds Lightning-only line shapes.
 */
import type { LineFormat } from '../types';
import { MESSAGE } from './fragments';

export const LIGHTNING_FORMATS: readonly LineFormat[] = [
  {
    id: 'lightning_rank_zero',
    family: 'lightning',
    summary: '`[rank: 0] text` rank-zero prefix of Lightning 2.x',
    prefilter: ['[rank: '],
    pattern: `^\\[rank: %{UINT:rank}\\]${MESSAGE}`,
  },
];

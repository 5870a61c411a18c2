import { fitBgNbd, groupRft, type BgNbdParams, type Rft } from './bgnbd.js';
import { fitGammaGamma, type GammaGammaParams, type SpendSummary } from './gamma-gamma.js';

/** Everything a workspace's nightly fit computes, in one pure call (run on a worker thread). */
export interface FitInput {
  /** Every buyer's summary as of today. */
  customers: Rft[];
  /** The buyers who had bought by the end of the calibration period, as of then. */
  calibration: Rft[] | null;
  /** Repeat buyers' mean repeat spend (fen); null to skip Gamma-Gamma. */
  spend: SpendSummary[] | null;
}

export interface FitOutput {
  bgnbd: { params: BgNbdParams; logLikelihood: number };
  calibration: BgNbdParams | null;
  /** null when Gamma-Gamma failed or has no finite mean (q ≤ 1). */
  gammaGamma: { params: GammaGammaParams; customers: number } | null;
}

export function fitAll(input: FitInput): FitOutput {
  const bg = fitBgNbd(groupRft(input.customers));
  const calibration = input.calibration ? fitBgNbd(groupRft(input.calibration)).params : null;
  let gammaGamma: FitOutput['gammaGamma'] = null;
  if (input.spend) {
    try {
      const gg = fitGammaGamma(input.spend);
      if (gg.params.q > 1) gammaGamma = { params: gg.params, customers: gg.customers };
    } catch {
      gammaGamma = null;
    }
  }
  return { bgnbd: { params: bg.params, logLikelihood: bg.logLikelihood }, calibration, gammaGamma };
}

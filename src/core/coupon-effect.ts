/**
 * A coupon's effect over a range, against a matched comparison: the customers not given the coupon, in the
 * same stratum (had bought before the range, or not), so a coupon sent to loyal buyers is not credited with
 * their loyalty. Each stratum's control rates are weighted by the holders' mix (direct standardisation).
 * Holders and controls are measured over the same range (intention to treat: every holder, used or not).
 */
export interface Stratum {
  holders: number;
  holderBuyers: number;
  holderRevenueFen: number;
  /** Everyone in the stratum, holders included. */
  population: number;
  populationBuyers: number;
  populationRevenueFen: number;
}

export interface CouponEffect {
  holders: number;
  holderConversion: number | null;
  /** The control's conversion, standardised to the holders' strata. */
  controlConversion: number | null;
  conversionLift: number | null;
  incrementalRevenueFen: number | null;
}

export function couponEffect(strata: readonly Stratum[]): CouponEffect {
  const holders = strata.reduce((a, s) => a + s.holders, 0);
  if (holders === 0)
    return {
      holders,
      holderConversion: null,
      controlConversion: null,
      conversionLift: null,
      incrementalRevenueFen: null,
    };
  let holderBuyers = 0;
  let controlBuyers = 0;
  let incremental = 0;
  let comparable = true;
  for (const s of strata) {
    if (s.holders === 0) continue;
    const control = s.population - s.holders;
    if (control <= 0) {
      comparable = false;
      continue;
    }
    const cBuyers = (s.populationBuyers - s.holderBuyers) / control;
    const cRevenue = (s.populationRevenueFen - s.holderRevenueFen) / control;
    holderBuyers += s.holderBuyers;
    controlBuyers += s.holders * cBuyers;
    incremental += s.holderRevenueFen - s.holders * cRevenue;
  }
  const holderConversion = strata.reduce((a, s) => a + s.holderBuyers, 0) / holders;
  if (!comparable)
    return { holders, holderConversion, controlConversion: null, conversionLift: null, incrementalRevenueFen: null };
  const controlConversion = controlBuyers / holders;
  return {
    holders,
    holderConversion,
    controlConversion,
    conversionLift: holderBuyers / holders - controlConversion,
    incrementalRevenueFen: Math.round(incremental),
  };
}

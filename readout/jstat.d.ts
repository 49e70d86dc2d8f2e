// jstat ships no types; these cover the functions the readout uses.
declare module 'jstat' {
  interface ContinuousDistribution2 {
    pdf(x: number, a: number, b: number): number;
    cdf(x: number, a: number, b: number): number;
    inv(p: number, a: number, b: number): number;
  }
  interface JStat {
    beta: ContinuousDistribution2;
    normal: ContinuousDistribution2;
    chisquare: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
    gammaln(x: number): number;
    betaln(a: number, b: number): number;
  }
  const jstat: { jStat: JStat };
  export default jstat;
}

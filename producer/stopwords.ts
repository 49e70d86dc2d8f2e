/** Common English words that never make a key term on their own. */
export const STOPWORDS = new Set(
  (
    'a about above after again against all also an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each either else even every few for from further had has ' +
    'have having he her here hers him his how however i if in into is it its itself just least less let like many ' +
    'may me might more most much must my near need neither never no nor not now of off often on once one only or ' +
    'other others otherwise our ours out over own per rather same shall she should since so some such than that the ' +
    'their theirs them then there these they this those though through thus to too toward under until up upon us ' +
    'use used uses using very via was way ways we well were what when where whether which while who whom whose why ' +
    'will with within without would yet you your yours new two three first second next last get gets got make makes ' +
    'made take takes took see seen say says said called call calls short long good best better simple simply ' +
    'usually always sometimes example examples thing things part parts kind kinds lot lots instead still back ' +
    'another around become becomes something anything everything nothing someone anyone everyone given gives ' +
    'known know knows mean means meant put puts set sets show shows shown work works'
  ).split(' '),
);

/** Headings too generic to be a topic by themselves. */
export const GENERIC_HEADINGS = new Set([
  'introduction',
  'overview',
  'summary',
  'conclusion',
  'conclusions',
  'references',
  'further reading',
  'background',
  'appendix',
  'notes',
  'contents',
  'table of contents',
  'faq',
  'glossary',
]);

// The package ships no typings: one function from Prometheus text to metric families.
declare module 'parse-prometheus-text-format' {
  const parse: (text: string) => unknown[];
  export default parse;
}

// Express 4 is installed beside Express 5 under the alias `express4` and ships no types: typed here
// as @types/express (Express 5's), whose API the tests use alike on both.
declare module 'express4' {
  import express from 'express';
  export default express;
}

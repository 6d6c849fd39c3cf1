import { css } from "lit";

export const styles = css`
  :host {
    display: block;
    min-height: 100vh;
  }
  header {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1.5rem;
    align-items: center;
    padding: 0.6rem 1.25rem;
    background: #0d2a4a;
    color: white;
  }
  header .brand {
    font-weight: 700;
    font-size: 1.1rem;
    color: white;
    text-decoration: none;
  }
  header nav ul {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
    list-style: none;
    margin: 0;
    padding: 0;
  }
  header nav a {
    color: white;
    text-decoration: none;
    padding: 0.3rem 0.6rem;
    border-radius: 4px;
    display: inline-block;
  }
  header nav a[aria-current="page"] {
    background: #24558a;
  }
  header .user {
    margin-left: auto;
    display: flex;
    gap: 0.75rem;
    align-items: center;
    flex-wrap: wrap;
  }
  header select {
    padding: 0.2rem;
    color: #1b1f24;
    background: white;
  }
  header button {
    background: transparent;
    border-color: white;
  }
  .banner {
    padding: 0.6rem 1.25rem;
    border-bottom: 1px solid;
  }
  .banner.block {
    background: #ffebe9;
    border-color: #cf222e;
    color: #6e1111;
  }
  .banner.maintenance {
    background: #fff8c5;
    border-color: #bf8700;
    color: #4d3800;
  }
  main {
    padding: 1.25rem;
    max-width: 80rem;
    margin: 0 auto;
  }
  .signin {
    max-width: 26rem;
    margin: 3rem auto;
  }
  ul.codes {
    columns: 2;
    font-family: ui-monospace, monospace;
  }
  .skip {
    position: absolute;
    left: -999px;
  }
  .skip:focus {
    left: 0.5rem;
    top: 0.5rem;
    background: white;
    color: #0b5cad;
    padding: 0.5rem;
    z-index: 10;
  }

  .menu-toggle {
    display: none;
  }
  /* On a phone the header is one line — the name, what waits, the menu button — and the menu
     opens below it on request, so the screen's content starts near the top. */
  @media (max-width: 700px) {
    header {
      padding: 0.4rem 0.75rem;
    }
    .menu-toggle {
      display: inline-flex;
      gap: 0.4rem;
      align-items: center;
      margin-left: auto;
    }
    header nav,
    header .user {
      display: none;
      width: 100%;
    }
    header.open nav,
    header.open .user {
      display: block;
    }
    header.open nav ul {
      flex-direction: column;
    }
    header.open .user {
      display: flex;
      margin-left: 0;
    }
    main {
      padding: 0.75rem;
    }
  }
`;

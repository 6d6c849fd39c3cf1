import { css } from "lit";

export const styles = css`
  .preview {
    display: grid;
    grid-template-columns: minmax(0, 1fr) 16rem;
    gap: 1rem;
    align-items: start;
  }
  @media (max-width: 700px) {
    .preview {
      grid-template-columns: 1fr;
    }
  }
  .sheet,
  .side {
    min-width: 0;
  }
  .who {
    overflow-wrap: anywhere;
  }
  .pages {
    display: grid;
    gap: 0.75rem;
  }
  .page {
    background: #fff;
    border: 1px solid #d0d7de;
    box-shadow: 0 1px 3px rgb(0 0 0 / 12%);
  }
  .page canvas,
  img.page {
    display: block;
    width: 100%;
    height: auto;
  }
  .tabs {
    display: flex;
    gap: 0.25rem;
    margin-bottom: 0.5rem;
  }
  .tab[aria-selected="true"] {
    background: #0b5cad;
    color: #fff;
  }
  .tab[aria-selected="false"] {
    background: #f6f8fa;
    color: #1f2328;
    border: 1px solid #d0d7de;
  }
  .form {
    background: #fff;
    border: 1px solid #d0d7de;
    padding: 1.25rem;
    color: #1f2328;
  }
  .form h2 {
    text-align: center;
    margin-top: 0;
    font-size: 1.15rem;
  }
  .side h2 {
    font-size: 1rem;
    margin-top: 0;
  }
  .parties {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
    gap: 1rem;
    margin-bottom: 1rem;
  }
  .party h3 {
    margin: 0 0 0.25rem;
    font-size: 0.9rem;
    color: #57606a;
  }
  .form table {
    width: 100%;
    border-collapse: collapse;
  }
  .form th,
  .form td {
    border: 1px solid #d0d7de;
    padding: 0.3rem 0.4rem;
  }
  .num {
    text-align: right;
    white-space: nowrap;
  }
  .stamps {
    list-style: none;
    padding: 0;
    margin: 0;
    display: grid;
    gap: 0.5rem;
  }
  .stamp {
    border: 2px solid #57606a;
    border-radius: 6px;
    padding: 0.5rem;
    font-size: 0.85rem;
  }
  .stamp.good {
    border-color: #1a7f37;
  }
  .stamp.bad {
    border-color: #cf222e;
  }
  .stamp-head {
    display: flex;
    justify-content: space-between;
    gap: 0.5rem;
    margin-bottom: 0.25rem;
  }
  .mono {
    font-family: ui-monospace, monospace;
    font-size: 0.8rem;
    overflow-wrap: anywhere;
  }
`;

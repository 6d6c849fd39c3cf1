import { css } from "lit";

export const styles = css`
  .pager {
    display: flex;
    gap: 0.75rem;
    align-items: center;
    margin-top: 0.75rem;
  }
  .wrap {
    overflow-x: auto;
  }
  tbody tr:hover {
    background: #f6f8fa;
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding: 0.25rem 0;
  }

  /* On a phone each row is a card: the cells stack, each under its column's name. */
  @media (max-width: 600px) {
    table,
    tbody,
    tr,
    td {
      display: block;
    }
    thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    tbody tr {
      border: 1px solid #d0d7de;
      border-radius: 6px;
      padding: 0.5rem 0.75rem;
      margin-bottom: 0.6rem;
    }
    td {
      border: 0;
      padding: 0.15rem 0;
      display: grid;
      grid-template-columns: 7.5rem 1fr;
      gap: 0.5rem;
    }
    td[data-label]::before {
      content: attr(data-label);
      color: #57606a;
      font-size: 0.85rem;
    }
    td[colspan] {
      display: block;
    }
  }
`;

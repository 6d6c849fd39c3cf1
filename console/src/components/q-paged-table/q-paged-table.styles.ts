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
`;

// Page object of the kiosk (/kiosk).
export class KioskPage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async open(query = '') {
    await this.page.goto(`${this.baseUrl}/kiosk${query}`);
    // hydrated and following the queue live
    await this.page.locator('.kiosk-screen[data-live="open"]').waitFor({ timeout: 15_000 });
  }

  waitingCount() {
    return this.page.getByTestId('waiting-count');
  }

  issueButton() {
    return this.page.locator('button.issue-button');
  }

  issuedNumber() {
    return this.page.getByTestId('issued-number');
  }
}

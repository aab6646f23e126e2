"""Privacy rules that know no Flask and no Celery.

``mask_personal_data`` replaces personal data in free text written by residents
(e-mail addresses, phone numbers, マイナンバー, licence plates and house numbers)
with visible placeholders, so the text can be shown in public.
"""

from service.privacy.masking import Finding, Kind, MaskResult, mask_personal_data

__all__ = ["Finding", "Kind", "MaskResult", "mask_personal_data"]
